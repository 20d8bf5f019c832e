"""The bytecode the book's JupyterLite ships (build_lite.py calls with_bytecode).

Pyodide 0.27.7's wheels and standard library hold only `.py` files, so every kernel compiled
every module it imported at each start. Once build_lite has verified the wheels, the modules
the kernel's start and the notebooks' import statements load are compiled by Pyodide's own
CPython under Node (so the bytecode is the browser's) into unchecked hash-based `.pyc` files
beside their source (tracebacks still show it), each wheel's RECORD listing them; the lock
then records each wheel's new SHA256. The same input gives the same bytes.
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

BYTECODE_PY = r"""
import base64, hashlib, importlib, importlib.util, json, sys, warnings, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

SITE = "/lib/python3.12/site-packages/"
plan = json.load(open("/work/plan.json"))
for name in plan["modules"]:
    try:
        importlib.import_module(name)
    except Exception:  # e.g. google.colab, in the notebooks' cell for Colab
        pass
FILES = [getattr(m, "__file__", None) or "" for m in list(sys.modules.values())]
STDLIB = "/lib/python312.zip/"  # zipimport: a module's .pyc beside its .py


def chosen(prefix):
    return {f[len(prefix):] for f in FILES if f.startswith(prefix) and f.endswith(".py")}


def pycache_path(path):
    folder, _, name = path.rpartition("/")
    cached = f"__pycache__/{name[:-3]}.{sys.implementation.cache_tag}.pyc"
    return f"{folder}/{cached}" if folder else cached


def bytecode(filename, source):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = compile(source, filename, "exec", dont_inherit=True)
    return _code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)


def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"{path},sha256={digest.decode()},{len(data)}\n"


def compile_zip(src, dst, prefix, place):
    # src into dst, each imported module's bytecode beside it (at place(path)), a wheel's
    # RECORD listing them
    modules = chosen(prefix)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        record, lines = None, []
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                record = (info, data)
                continue
            zout.writestr(info, data)
            if info.filename in modules:
                path, pyc = place(info.filename), bytecode(prefix + info.filename, data)
                zout.writestr(zipfile.ZipInfo(path, date_time=info.date_time), pyc,
                              zipfile.ZIP_DEFLATED)
                lines.append(record_line(path, pyc))
        if record is not None:
            zout.writestr(record[0], record[1] + "".join(lines).encode())
    return len(lines)


counts = {name: compile_zip(plan["site"] + name, "/work/out/" + name, SITE, pycache_path)
          for name in plan["wheels"]}
counts["python_stdlib.zip"] = compile_zip(STDLIB[:-1], "/work/out/python_stdlib.zip", STDLIB,
                                          lambda path: path[:-3] + ".pyc")
json.dump(counts, open("/work/counts.json", "w"))
"""

BYTECODE_JS = """
const { loadPyodide } = require(process.argv[2]);
const fs = require("fs");
(async () => {
  const work = process.argv[4];
  const plan = JSON.parse(fs.readFileSync(`${work}/plan.json`, "utf8"));
  const py = await loadPyodide({indexURL: process.argv[3], packages: plan.packages});
  py.FS.mkdirTree("/work");
  py.FS.mount(py.FS.filesystems.NODEFS, {root: work}, "/work");
  py.FS.mkdirTree("/site");
  py.FS.mount(py.FS.filesystems.NODEFS, {root: process.argv[3]}, "/site");
  const code = plan.modules.map(name => `import ${name}`).join("\\n");
  await py.loadPackagesFromImports(code, {messageCallback: () => {}});
  py.runPython(fs.readFileSync(`${work}/bytecode.py`, "utf8"));
})().catch(error => {
  console.error(`build_lite: compiling bytecode in Pyodide failed: ${error}`);
  process.exit(1);
});
"""
# Imported by the kernel at its start (the worker's initPackageManager and initKernel) and by
# `%matplotlib inline`, besides what the notebooks' import statements name (notebook_imports).
KERNEL_IMPORTS = ["piplite.piplite", "pyodide_kernel", "matplotlib_inline.backend_inline"]


def notebook_imports(notebooks: list[Path]) -> list[str]:
    """Every module an import statement of a notebook's code cell names (magics skipped)."""
    names = set()
    for path in notebooks:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                names |= _imported(_as_python("".join(cell["source"])))
    return sorted(names)


def _as_python(source: str) -> str:
    """A cell's source with each magic or shell line a `pass` where it stood."""
    lines = source.splitlines()
    return "\n".join(line[:len(line) - len(line.lstrip())] + "pass"
                     if line.lstrip().startswith(("%", "!")) else line for line in lines)


def _imported(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython's syntax elsewhere (`x?`): no import counted
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
    return names


def with_bytecode(dest: Path, packages: dict, pyodide_npm: Path, kernel_packages: list[str],
                  notebooks: list[Path]) -> dict[str, int]:
    """The modules the kernel and the notebooks import, compiled into their wheels in dest
    (which holds the site's lock, read by Pyodide under Node); their lock entries updated.
    Returns how many modules each wheel got bytecode for."""
    wheels = {name: entry["file_name"] for name, entry in packages.items()
              if entry["file_name"].endswith(".whl")}
    plan = {"packages": kernel_packages, "modules": KERNEL_IMPORTS + notebook_imports(notebooks),
            "site": "/site/", "wheels": sorted(wheels.values())}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "out").mkdir()
        (work / "plan.json").write_text(json.dumps(plan))
        (work / "bytecode.py").write_text(BYTECODE_PY)
        (work / "bytecode.js").write_text(BYTECODE_JS)
        subprocess.run(["node", str(work / "bytecode.js"), str(pyodide_npm / "pyodide.js"),
                        f"{dest.resolve()}/", str(work)], check=True)
        for name, file_name in wheels.items():
            data = (work / "out" / file_name).read_bytes()
            (dest / file_name).write_bytes(data)
            packages[name] = {**packages[name], "sha256": hashlib.sha256(data).hexdigest()}
        shutil.copy2(work / "out" / "python_stdlib.zip", dest / "python_stdlib.zip")
        return json.loads((work / "counts.json").read_text())
