"""The sharded grading of a class as a real Slurm job array, merged: the same reports as one run.

A single-node cluster starts on this machine (``tools/ci/slurm_cluster.sh``: root, and
Debian's slurm-wlm and munge); skipped with the reason where it cannot.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from classroom import grade, sandbox

REPO = Path(__file__).resolve().parents[2]
CLUSTER = REPO / "tools" / "ci" / "slurm_cluster.sh"
MISSING = [p for p in ("slurmctld", "slurmd", "sbatch", "munged") if not shutil.which(p)]

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="starting a Slurm cluster needs root"),
    pytest.mark.skipif(bool(MISSING), reason=f"no {', '.join(MISSING)}: "
                       "apt-get install slurm-wlm munge"),
    pytest.mark.skipif(not sandbox.bwrap_works(), reason="needs bubblewrap"),
]

BATCH = """#!/bin/sh
#SBATCH --array=0-2
#SBATCH --output={root}/task-%a.log
cd {repo}
exec {python} -m classroom.grade {submitted} --source {sources} --jobs 1 \\
    --out {root}/shard-$SLURM_ARRAY_TASK_ID \\
    --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slurm")
    started = subprocess.run([str(CLUSTER), "start", str(folder)], capture_output=True,
                             text=True, timeout=120)
    if started.returncode != 0:
        subprocess.run([str(CLUSTER), "stop", str(folder)], timeout=60)
        pytest.skip(f"the cluster did not start: {started.stderr.strip()[-300:]}")
    yield {**os.environ, "SLURM_CONF": str(folder / "slurm.conf")}
    subprocess.run([str(CLUSTER), "stop", str(folder)], timeout=60)


def without_timings(out: Path) -> dict:
    report = json.loads((out / "scores.json").read_text(encoding="utf-8"))["students"]
    for entry in report.values():
        for row in entry["assignments"].values():
            row.pop("seconds")
    feedback = {p.name: p.read_text() for p in sorted((out / "feedback").iterdir())}
    return {"csv": (out / "scores.csv").read_text(), "json": report, "feedback": feedback}


def test_a_slurm_job_array_merged_equals_one_run(cluster, small_class, tmp_path):
    sources = small_class.parent / "sources"
    script = tmp_path / "grade.sbatch"
    script.write_text(BATCH.format(root=tmp_path, repo=REPO, python=sys.executable,
                                   submitted=small_class, sources=sources))
    run = subprocess.run(["sbatch", "--wait", str(script)], env=cluster,
                         capture_output=True, text=True, timeout=900)
    logs = "".join(p.read_text() for p in sorted(tmp_path.glob("task-*.log")))
    assert run.returncode == 0, f"{run.stdout}{run.stderr}{logs}"
    shards = sorted(tmp_path.glob("shard-*"))
    assert len(shards) == 3
    merged = tmp_path / "merged"
    assert grade.main(["--merge", *map(str, shards), "--out", str(merged)]) == 0
    assert grade.main([str(small_class), "--source", str(sources), "--jobs", "1",
                       "--out", str(tmp_path / "one")]) == 0
    assert without_timings(merged) == without_timings(tmp_path / "one")
