"""The loaders: MNIST and Fashion-MNIST from the cache, Iris and Digits from
scikit-learn, synthetic linear-regression data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from npgrad.browser import require_package
from npgrad.datasets.fetching import (
    FASHION_MNIST,
    MNIST,
    DatasetSpec,
    Root,
    fetch_files,
)
from npgrad.idx import IDXError, parse_idx


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """One split, named as in torchvision: data uint8 (N, 28, 28), targets int64."""

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


def load_mnist(root: Root = None, train: bool = True) -> ImageDataset:
    """MNIST digits, 60,000 train or 10,000 test: uint8 (N, 28, 28), int64 labels."""
    return _load_images(MNIST, root, train)


def load_fashion_mnist(root: Root = None, train: bool = True) -> ImageDataset:
    """Fashion-MNIST (Zalando), 60,000 train or 10,000 test images.

    Its classes are FASHION_MNIST_CLASSES.
    """
    return _load_images(FASHION_MNIST, root, train)


def _load_images(spec: DatasetSpec, root: Root, train: bool) -> ImageDataset:
    """Fetch (if needed) and parse one split's image and label files."""
    prefix = "train" if train else "t10k"
    names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    files = fetch_files(spec, names, root)
    images, labels = (parse_idx(files[name][0], name) for name in names)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise IDXError(
            f"{spec.name}: images {images.shape} and labels {labels.shape} do not pair "
            "up"
        )
    return ImageDataset(images, labels.astype(np.int64), spec.classes)


def to_features(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W) -> float32 rows (N, H*W) in [0, 1]: x / 255."""
    return np.asarray(images).reshape(len(images), -1).astype(np.float32) / np.float32(
        255
    )


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris from scikit-learn: X float32 (150, 4) in cm, y int64 (150,) in {0,
    1, 2}."""
    require_package("scikit-learn", "sklearn", "load_iris")  # in the browser
    from sklearn.datasets import load_iris as sklearn_iris

    bunch = sklearn_iris()
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """8x8 digits from scikit-learn: X float32 (1797, 64) in 0..16, y int64 (1797,)."""
    require_package("scikit-learn", "sklearn", "load_digits")  # in the browser
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
    """y = X w + b + noise * eps with X, eps ~ N(0, 1): X float32 (n, d), y float32 (n,
    1).

    y is a column, (n, 1), the shape a Linear(d, 1) layer predicts, so y_hat - y never
    broadcasts (n, 1) against (n,) into an (n, n) matrix.
    """
    rng = np.random.default_rng(rng)
    w = np.asarray(true_w, dtype=np.float64).reshape(-1)
    X = rng.standard_normal((num_examples, w.size))
    y = X @ w + true_b + noise * rng.standard_normal(num_examples)
    return X.astype(np.float32), y.astype(np.float32).reshape(-1, 1)
