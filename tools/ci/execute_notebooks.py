"""Re-run notebooks in place, top to bottom, in a fresh kernel: `make execute` calls this.

Run it through tools/ci/pinned_env.py (the Makefile does): the stored outputs must be made in the
pinned numeric environment, which nbval reproduces bit for bit on every x86-64-v3 machine. Where
the pin does not hold it refuses, unless given --unpinned. Per-cell timing metadata is dropped:
it changes on every run. Consecutive prints of a cell are stored as one stream output (the
kernel sends them in as many pieces as its flushes happened to make). A notebook that fails to
run is left as it was.
"""

import os
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
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)  # atomic: an interrupted run never leaves half a notebook


def merge_streams(outputs: list) -> list:
    """The outputs with each run of same-named stream outputs joined into one."""
    merged = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (out.output_type == "stream" and last is not None
                and last.output_type == "stream" and last.name == out.name):
            last.text += out.text
        else:
            merged.append(out)
    return merged


def main(argv: list[str]) -> int:
    unpinned = "--unpinned" in argv
    names = [a for a in argv if a != "--unpinned"]
    mode = os.environ.get("NPGRAD_OUTPUT_CHECK")
    if mode != "strict" and not unpinned:
        print("execute_notebooks: the numeric pin does not hold here "
              f"(NPGRAD_OUTPUT_CHECK={mode}), so the outputs would not reproduce on other "
              "machines. Run it as `python tools/ci/pinned_env.py python tools/ci/execute_notebooks.py "
              "...` (make execute does) on an x86-64 CPU with AVX2, or pass --unpinned to "
              "execute anyway.", file=sys.stderr)
        return 2
    for name in names:
        print(f"executing {name}", flush=True)
        execute(Path(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
