"""course.light: which setting runs (NPGRAD_LIGHT, then the platform), and what it says."""

import pytest
from course import light


@pytest.fixture(autouse=True)
def native(monkeypatch):
    """A native platform and no NPGRAD_LIGHT, unless a test sets them."""
    monkeypatch.delenv(light.VARIABLE, raising=False)
    monkeypatch.setattr(light.sys, "platform", "linux")


def test_full_by_default_outside_the_browser():
    assert light.setting() == ("full", "the default outside the browser")
    assert not light.is_light()
    assert light.pick(full=30, light=5) == 30


def test_light_in_webassembly(monkeypatch):
    monkeypatch.setattr(light.sys, "platform", "emscripten")
    assert light.setting().name == "light"
    assert "browser" in light.setting().reason
    assert light.pick(full=30, light=5) == 5


@pytest.mark.parametrize("platform", ["linux", "emscripten"])
def test_the_variable_wins_over_the_platform(monkeypatch, platform):
    monkeypatch.setattr(light.sys, "platform", platform)
    monkeypatch.setenv(light.VARIABLE, "1")
    assert light.setting() == ("light", "NPGRAD_LIGHT=1")
    assert light.pick(full=0.98, light=0.9) == 0.9
    monkeypatch.setenv(light.VARIABLE, "0")
    assert light.setting() == ("full", "NPGRAD_LIGHT=0")
    assert light.pick(full=0.98, light=0.9) == 0.98


def test_the_variable_is_read_at_each_call(monkeypatch):
    assert light.pick(full="a", light="b") == "a"
    monkeypatch.setenv(light.VARIABLE, "1")
    assert light.pick(full="a", light="b") == "b"


@pytest.mark.parametrize("value", ["", "yes", "true", "2", "light", "01"])
def test_any_other_value_is_refused_with_the_fix(monkeypatch, value):
    monkeypatch.setenv(light.VARIABLE, value)
    with pytest.raises(ValueError, match=r"NPGRAD_LIGHT=1 for the light setting.*NPGRAD_LIGHT=0"):
        light.setting()
    with pytest.raises(ValueError):
        light.pick(full=1, light=2)


def test_announce_prints_one_line_saying_which_setting_and_why(monkeypatch, capsys):
    light.announce()
    full = capsys.readouterr().out
    assert full.startswith("Full setting (the default outside the browser)")
    assert full.count("\n") == 1 and len(full) <= 81  # the book's 80 columns

    monkeypatch.setattr(light.sys, "platform", "emscripten")
    light.announce()
    said = capsys.readouterr().out
    assert said.startswith("Light setting (in the browser, WebAssembly)")
    for words in ("fewer epochs", "numbers differ from the text", "your own computer"):
        assert words in said
    # not a full run in the browser: chapter 5 took 18 minutes there
    assert "NPGRAD_LIGHT=0" not in said
    assert said.count("\n") == 1


def test_note_prints_in_the_light_setting_only(monkeypatch, capsys):
    light.note("too few epochs to overfit")
    assert capsys.readouterr().out == ""
    monkeypatch.setenv(light.VARIABLE, "1")
    light.note("too few epochs to overfit")
    assert capsys.readouterr().out == "(light setting: too few epochs to overfit)\n"


def test_no_tqdm_monitor_thread_in_the_browser(monkeypatch):
    from tqdm import tqdm

    monkeypatch.setattr(tqdm, "monitor_interval", 10)
    light.quiet_progress_bars()
    assert tqdm.monitor_interval == 10  # outside the browser, tqdm as it is
    monkeypatch.setattr(light.sys, "platform", "emscripten")
    light.quiet_progress_bars()
    assert tqdm.monitor_interval == 0
