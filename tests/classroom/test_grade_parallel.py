"""A class graded in parallel (``--jobs``) and in shards (``--shard``, ``--merge``): the same
reports as one notebook at a time."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from classroom import grade, merge, sandbox

pytestmark = pytest.mark.skipif(not sandbox.bwrap_works(),
                                reason="needs bubblewrap (apt-get install bubblewrap)")

REPO = Path(__file__).resolve().parents[2]
A1 = "01_backward_rules"


def reports(out: Path) -> dict[str, str]:
    """Every report file's text; scores.json without the timings."""
    texts = {str(p.relative_to(out)): p.read_text(encoding="utf-8")
             for p in sorted(out.rglob("*")) if p.is_file() and "autograded" not in p.parts}
    report = json.loads(texts.pop("scores.json"))
    for entry in report["students"].values():
        for row in entry["assignments"].values():
            row.pop("seconds")
    texts["scores.json"] = json.dumps(report["students"], sort_keys=True)
    return texts


@pytest.fixture(scope="module")
def runs(tmp_path_factory, small_class):
    root, submitted = tmp_path_factory.mktemp("parallel"), small_class

    def run(name: str, *options: str) -> tuple[int, Path]:
        out = root / name
        code = grade.main([str(submitted), "--source", str(submitted.parent / "sources"),
                           "--out", str(out),
                           "--timeout", "120", *options])
        return code, out

    one, two = run("one", "--jobs", "1"), run("two", "--jobs", "2")
    shards = [run(f"shard{i}", "--jobs", "1", "--shard", f"{i}/2") for i in range(2)]
    merged = root / "merged"
    code = grade.main(["--merge", *(str(out) for _, out in shards), "--out", str(merged)])
    return {"one": one, "two": two, "shards": shards, "merged": (code, merged)}


def test_two_jobs_write_the_same_reports_as_one(runs):
    (code_one, one), (code_two, two) = runs["one"], runs["two"]
    assert code_one == code_two == 0
    assert reports(two) == reports(one)
    assert "student2,01_backward_rules,ok,8,10" in reports(one)["scores.csv"]


def test_merged_shards_write_the_same_reports_as_one_run(runs):
    sizes = [len(json.loads((out / "scores.json").read_text())["students"])
             for _, out in runs["shards"]]
    assert sum(sizes) == 6 and all(sizes), f"each shard grades a share: {sizes}"
    code, merged = runs["merged"]
    assert code == 0
    assert reports(merged) == reports(runs["one"][1])
    runs_one = sorted(p.relative_to(runs["one"][1]) for p in
                      (runs["one"][1] / "autograded").rglob("*.ipynb"))
    assert sorted(p.relative_to(merged) for p in
                  (merged / "autograded").rglob("*.ipynb")) == runs_one


def test_a_student_is_in_exactly_one_shard():
    names = [f"s{i}" for i in range(200)] + ["victim.", "\udcff", "Zoë"]
    for count in (1, 3, 8):
        owners = [[i for i in range(count) if merge.in_shard(n, i, count)] for n in names]
        assert all(len(o) == 1 for o in owners)


@pytest.mark.parametrize("text", ["2/2", "1", "a/b", "-1/3"])
def test_a_shard_is_i_of_n_counted_from_zero(text):
    with pytest.raises(argparse.ArgumentTypeError):
        merge.parse_shard(text)


def test_merging_refuses_a_student_graded_by_two_shards(runs, tmp_path):
    _, first = runs["shards"][0]
    shutil.copytree(first, tmp_path / "again")
    with pytest.raises(ValueError, match="is in two shards"):
        merge.merge([first, tmp_path / "again"], tmp_path / "out")
