"""Re-run notebooks in place, top to bottom, in a fresh kernel: `make execute` calls this.

The environment (one BLAS thread, PYTHONHASHSEED) comes from the Makefile, so the stored outputs
are the ones nbval reproduces. Per-cell timing metadata is dropped: it changes on every run.
A notebook that fails to run is left as it was.
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 1200) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)  # atomic: an interrupted run never leaves half a notebook


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"executing {name}", flush=True)
        execute(Path(name))
