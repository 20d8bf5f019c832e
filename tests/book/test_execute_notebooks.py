"""tools/ci/execute_notebooks.py: what it stores besides the kernel's outputs."""

import nbformat
from nbformat.v4 import new_output

from tools.ci.execute_notebooks import merge_streams


def test_consecutive_prints_are_stored_as_one_stream_output():
    outputs = [new_output("stream", name="stdout", text="a\n"),
               new_output("stream", name="stdout", text="b\n"),
               new_output("stream", name="stderr", text="warning\n"),
               new_output("stream", name="stdout", text="c\n"),
               new_output("display_data", data={"text/plain": "figure"}),
               new_output("stream", name="stdout", text="d\n"),
               new_output("stream", name="stdout", text="e")]
    merged = merge_streams(outputs)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in merged] == [
        ("stream", "stdout", "a\nb\n"), ("stream", "stderr", "warning\n"),
        ("stream", "stdout", "c\n"), ("display_data", None, None),
        ("stream", "stdout", "d\ne")]
    cell = nbformat.v4.new_code_cell(outputs=merged)
    nbformat.validate(nbformat.v4.new_notebook(cells=[cell]))
