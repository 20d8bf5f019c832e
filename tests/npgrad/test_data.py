"""data: TensorDataset, a custom Dataset and the DataLoader's batches, order and dtypes."""

import numpy as np
import pytest

from npgrad import Tensor
from npgrad.data import DataLoader, Dataset, TensorDataset


def indexed(n):
    """Features whose first column is the example's index, labels that are a function of it."""
    X = np.stack([np.arange(n), np.arange(n) * 10], axis=1).astype(np.float32)
    y = (np.arange(n) % 3).astype(np.int64)
    return X, y


class ByIndex(Dataset):
    """Arrays behind the general Dataset interface: the path that is not TensorDataset's."""

    def __init__(self, *arrays):
        self.arrays = arrays

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, i):
        return tuple(array[i] for array in self.arrays)


def epoch_indices(loader):
    """The example indices one pass over the loader visits, batch by batch."""
    return [batch_x.data[:, 0].astype(int).tolist() for batch_x, _ in loader]


def test_tensor_dataset_rejects_arrays_of_different_lengths():
    with pytest.raises(ValueError, match=r"different lengths \[5, 4\]"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))


def test_tensor_dataset_indexes_every_array_by_row():
    X, y = indexed(6)
    data = TensorDataset(X, y)
    assert len(data) == 6
    x3, y3 = data[3]
    np.testing.assert_array_equal(x3, [3, 30])
    assert y3 == 0


@pytest.mark.parametrize(("n", "batch_size", "drop_last", "sizes"), [
    (10, 4, False, [4, 4, 2]),  # the last batch is partial
    (10, 4, True, [4, 4]),  # ... or dropped
    (12, 4, False, [4, 4, 4]),
    (12, 4, True, [4, 4, 4]),  # nothing to drop
    (3, 5, False, [3]),
    (3, 5, True, []),
])
def test_batch_sizes(n, batch_size, drop_last, sizes):
    loader = DataLoader(TensorDataset(*indexed(n)), batch_size=batch_size, drop_last=drop_last)
    assert [len(x) for x, _ in loader] == sizes
    assert [len(y) for _, y in loader] == sizes
    assert len(loader) == len(sizes)


def test_without_shuffle_batches_come_in_order():
    X, y = indexed(7)
    batches = list(DataLoader(TensorDataset(X, y), batch_size=3))
    np.testing.assert_array_equal(np.concatenate([x.data for x, _ in batches]), X)
    np.testing.assert_array_equal(np.concatenate([t.data for _, t in batches]), y)


def test_shuffle_is_reproducible_from_a_seed_or_generator():
    data = TensorDataset(*indexed(50))
    by_seed = DataLoader(data, batch_size=8, shuffle=True, generator=3)
    by_generator = DataLoader(data, batch_size=8, shuffle=True, generator=np.random.default_rng(3))
    other_seed = DataLoader(data, batch_size=8, shuffle=True, generator=4)
    first, second = epoch_indices(by_seed), epoch_indices(by_seed)
    assert [first, second] == [epoch_indices(by_generator), epoch_indices(by_generator)]
    assert first != epoch_indices(other_seed)


def test_shuffle_gives_a_new_order_every_epoch_and_each_example_once():
    loader = DataLoader(TensorDataset(*indexed(50)), batch_size=8, shuffle=True, generator=0)
    epochs = [sum(epoch_indices(loader), []) for _ in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(50))  # the partial last batch included
    assert epochs[0] != list(range(50))
    assert epochs[0] != epochs[1] and epochs[1] != epochs[2]


def test_shuffle_keeps_features_and_labels_together():
    X, y = indexed(40)
    for batch_x, batch_y in DataLoader(TensorDataset(X, y), batch_size=7, shuffle=True, generator=1):
        index = batch_x.data[:, 0].astype(int)
        np.testing.assert_array_equal(batch_x.data[:, 1], index * 10)
        np.testing.assert_array_equal(batch_y.data, index % 3)


def test_shuffle_with_drop_last_gives_distinct_examples():
    loader = DataLoader(TensorDataset(*indexed(50)), batch_size=8, shuffle=True, drop_last=True, generator=0)
    seen = sum(epoch_indices(loader), [])
    assert len(seen) == 48 and len(set(seen)) == 48


@pytest.mark.parametrize("batch_size", [0, -2, 2.5, 4.0, "4", None, True])
def test_batch_size_must_be_a_positive_integer(batch_size):
    with pytest.raises(ValueError, match=rf"batch_size must be a positive integer, got {batch_size!r}"):
        DataLoader(TensorDataset(*indexed(5)), batch_size=batch_size)


def test_numpy_integer_batch_size_is_accepted():
    loader = DataLoader(TensorDataset(*indexed(5)), batch_size=np.int64(2))
    assert [len(x) for x, _ in loader] == [2, 2, 1]


@pytest.mark.parametrize("shuffle", [False, True])
def test_custom_dataset_gives_the_same_batches_as_tensor_dataset(shuffle):
    X, y = indexed(23)
    ours = DataLoader(ByIndex(X, y), batch_size=5, shuffle=shuffle, generator=7)
    reference = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=shuffle, generator=7)
    for _ in range(2):  # two epochs: the generators advance alike
        pairs = list(zip(ours, reference, strict=True))
        assert len(pairs) == 5
        for (x1, y1), (x2, y2) in pairs:
            np.testing.assert_array_equal(x1.data, x2.data)
            np.testing.assert_array_equal(y1.data, y2.data)
            assert (x1.dtype, y1.dtype) == (x2.dtype, y2.dtype)


@pytest.mark.parametrize("make_dataset", [TensorDataset, ByIndex], ids=["TensorDataset", "custom"])
def test_batches_are_tensors_that_keep_the_dtypes(make_dataset):
    X, y = indexed(9)
    for batch_x, batch_y in DataLoader(make_dataset(X, y), batch_size=4, shuffle=True, generator=0):
        assert isinstance(batch_x, Tensor) and isinstance(batch_y, Tensor)
        assert batch_x.dtype == np.float32  # float32 features are not promoted to float64
        assert batch_y.dtype == np.int64  # labels stay integers, as cross_entropy requires
        assert not batch_x.requires_grad
