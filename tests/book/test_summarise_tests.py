"""tools/ci/summarise_tests.py: make test's last lines count every suite and name each skip's fix."""

from pathlib import Path

import pytest

from tools.ci import summarise_tests


def junit(path: Path, passed: int = 0, failed: int = 0, skipped: tuple[str, ...] = (),
          names: tuple[str, ...] = ()) -> None:
    """A JUnit report: passed tests named ok0, ok1, ... (or `names`), skipped ones s0, ..."""
    names = names or tuple(f"ok{i}" for i in range(passed))
    cases = [f'<testcase classname="t" name="{n}"/>' for n in names]
    cases += ['<testcase name="bad"><failure message="assert 1 == 2"/></testcase>'] * failed
    cases += [f'<testcase classname="t" name="s{i}"><skipped message="{m}"/></testcase>'
              for i, m in enumerate(skipped)]
    path.write_text(f'<testsuites><testsuite>{"".join(cases)}</testsuite></testsuites>')


@pytest.fixture
def results(tmp_path):
    for name in summarise_tests.SUITES:
        junit(tmp_path / f"{name}.xml", passed=3)
    (tmp_path / "nbgrader.status").write_text("0\n")
    return tmp_path


def test_all_passed_counts_every_suite(results, capsys):
    assert summarise_tests.summarise(results, 0, 61, ci=True) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "summary: 18 passed, 0 failed, 0 skipped"
    assert "make test passed in 1 min 01 s" in out
    assert "nbgrader check: passed" in out


def test_skips_are_grouped_with_their_fix_and_fail_only_in_ci(results, capsys):
    reasons = ("PyTorch is not installed: pip install torch==2.13.0",
               "torch is not installed; the PyTorch parity test needs it",
               "no Chromium at /usr/bin/chromium: `apt-get install chromium`")
    junit(results / "library.xml", passed=5, skipped=reasons)
    assert summarise_tests.summarise(results, 0, None, ci=False) == 0
    out = capsys.readouterr().out
    assert "    2 skipped: PyTorch is not installed (the parity tests' reference)" in out
    assert "fix: make dev" in out
    assert "    1 skipped: Chromium is missing (the browser tests)" in out
    assert out.splitlines()[-1] == "summary: 20 passed, 0 failed, 3 skipped"
    assert summarise_tests.summarise(results, 0, None, ci=True) == 1
    assert "CI=true and 3 tests were skipped" in capsys.readouterr().out


def test_a_skip_that_ran_in_another_suite_or_cannot_run_here_does_not_fail_ci(results, capsys):
    junit(results / "library.xml", passed=1, skipped=("the fallback is refused here",
                                                      "cgroup v1 not writable here (Permission denied)"))
    junit(results / "classroom-user.xml", names=("s0",))  # s0 passed as the ordinary user
    assert summarise_tests.summarise(results, 0, None, ci=True) == 0
    out = capsys.readouterr().out
    assert f"1 skipped: {summarise_tests.ELSEWHERE}" in out
    assert "1 skipped: no cgroup can be written here" in out and "not a failure in CI" in out


def test_the_ordinary_user_suite_is_optional(results, capsys):
    (results / "classroom-user.xml").unlink()
    assert summarise_tests.summarise(results, 0, None, ci=True) == 0
    assert "ordinary user" not in capsys.readouterr().out


def test_a_module_skipped_at_collection_is_grouped_by_its_text(results, capsys):
    (results / "library.xml").write_text(
        '<testsuites><testsuite><testcase name="test_fuzz"><skipped type="pytest.skip" '
        'message="collection skipped">tests/npgrad/test_fuzz.py:24: PyTorch is not installed'
        '</skipped></testcase></testsuite></testsuites>')
    summarise_tests.summarise(results, 0, None, ci=False)
    assert "1 skipped: PyTorch is not installed" in capsys.readouterr().out


def test_an_unknown_reason_is_shown_as_it_is(results, capsys):
    junit(results / "site.xml", skipped=("Skipped: the moon is full",))
    summarise_tests.summarise(results, 0, None, ci=False)
    out = capsys.readouterr().out
    assert "1 skipped: the moon is full" in out and "no known fix" in out


def test_a_failure_or_a_missing_suite_fails(results, capsys):
    junit(results / "nbval.xml", passed=1, failed=1)
    assert summarise_tests.summarise(results, 0, None, ci=False) == 1
    (results / "lite.xml").unlink()
    (results / "nbgrader.status").write_text("1\n")
    assert summarise_tests.summarise(results, 2, None, ci=False) == 1
    out = capsys.readouterr().out
    assert "DID NOT RUN" in out and "nbgrader check: FAILED" in out
