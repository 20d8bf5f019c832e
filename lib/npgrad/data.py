"""Datasets and the DataLoader that cuts them into (shuffled) mini-batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from npgrad.tensor import Tensor, as_array


class Dataset:
    """Anything with __len__, and __getitem__(i) giving one example (a tuple)."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Examples are rows of equally long arrays: dataset[i] = (X[i], y[i])."""

    def __init__(self, *arrays: Any) -> None:
        self.arrays = tuple(as_array(a) for a in arrays)
        lengths = {len(a) for a in self.arrays}
        if len(lengths) > 1:
            raise ValueError(
                "TensorDataset: arrays have different lengths "
                f"{[len(a) for a in self.arrays]}"
            )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return tuple([a[index] for a in self.arrays])


class DataLoader:
    """Mini-batches of Tensors, in order or shuffled anew each epoch by a generator."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | int | None = None,
    ) -> None:
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, int | np.integer)
            or batch_size < 1
        ):
            raise ValueError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            )
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self.generator = np.random.default_rng(generator)

    def __len__(self) -> int:
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = order[start : start + self.batch_size]
            yield tuple([Tensor(a) for a in self._gather(batch)])

    def _gather(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """One fancy index per array for in-memory data; else stack examples."""
        if isinstance(self.dataset, TensorDataset):
            return self.dataset[indices]
        examples = [self.dataset[int(i)] for i in indices]
        return tuple(np.stack(column) for column in zip(*examples, strict=True))
