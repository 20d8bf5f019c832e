"""Fixtures shared by the npgrad tests."""

import pytest

NO_TORCH = ("PyTorch is not installed: the parity tests need it as their reference "
            "(make dev)")


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the reference of the parity tests; the test skips, naming the fix, without it."""
    return pytest.importorskip("torch", reason=NO_TORCH)
