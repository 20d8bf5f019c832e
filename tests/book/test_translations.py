"""The Chinese edition never drifts from the English: every message of every document translated.

The drift check (tools/site/build_zh.py `check`) regenerates the message templates from the
current sources, updates a copy of locales/ with sphinx-intl, and lists, per document, each
message that is untranslated, fuzzy (its English changed since it was translated), obsolete (a
translation whose English is gone), or math or code only and translated differently (a translated
display-math message makes Sphinx drop the equation). The benchmark tables are exempt (their
numbers change at every `make bench`). To fix a failure: `python tools/site/build_zh.py --update`
refreshes the catalogues and lists what to translate; translate it in the .po files it names.

PENDING lists the documents whose translation is still to come: the check runs on them too, but
they may have problems (and must: a finished one fails until it is removed from the list).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tools.site import build_zh

ROOT = Path(__file__).resolve().parents[2]

# Documents whose Chinese is still to come (e.g. "chapters/09_x" while it is being translated).
# This list only shrinks; today every document is translated.
PENDING: list[str] = []

pytestmark = pytest.mark.skipif(shutil.which("sphinx-intl", path=str(Path(
    build_zh.sys.executable).parent)) is None, reason="sphinx-intl is not installed: "
    "`pip install -r requirements.txt`")


@pytest.fixture(scope="module")
def drift(tmp_path_factory) -> dict[str, list[str]]:
    return build_zh.check(ROOT, tmp_path_factory.mktemp("i18n"))


def documents() -> list[str]:
    """The book's documents, as its toc lists them."""
    toc = build_zh.read_yaml(ROOT / "_toc.yml")
    docs, stack = [toc["root"]], list(toc.get("parts", []))
    while stack:
        entry = stack.pop(0)
        docs += [entry["file"]] if "file" in entry else []
        stack = entry.get("chapters", []) + entry.get("sections", []) + stack
    return docs


@pytest.mark.parametrize("doc", [d for d in documents() if d not in PENDING])
def test_every_message_is_translated(doc, drift):
    assert doc in drift, f"{doc}: no catalogue (run `python tools/site/build_zh.py --update`)"
    found = drift[doc]
    assert not found, (f"locales/zh_CN/LC_MESSAGES/{doc}.po: {len(found)} messages to "
                       "translate (`python tools/site/build_zh.py --update` lists them):\n  "
                       + "\n  ".join(found))


def test_the_pending_list_is_honest(drift):
    """Each pending document is in the book and still has work to do."""
    unknown = [d for d in PENDING if d not in documents()]
    done = [d for d in PENDING if d in drift and not drift[d]]
    assert not unknown, f"PENDING names documents that are not in _toc.yml: {unknown}"
    assert not done, f"translated in full: remove from PENDING: {done}"


def test_math_and_code_only_messages_are_recognised():
    assert build_zh.untranslatable("\\frac{\\partial \\ell}{\\partial a_i} = g_i\\, b_i")
    assert build_zh.untranslatable("$x$, $\\mathbf{x}$, $\\mathbf{X}$")
    assert build_zh.untranslatable("{doc}`student/01_backward_rules`")
    assert build_zh.untranslatable("`Mul`")
    assert build_zh.untranslatable("\ns(1, 1) + s(-1, -1) = 2b = s(1, -1) + s(-1, 1).\n")
    assert not build_zh.untranslatable("the error of layer $l$")
    assert not build_zh.untranslatable("`Exp` and `Log`")


def test_a_translated_display_math_message_is_reported(tmp_path):
    po = tmp_path / "x.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgid "\\\\ell = \\\\frac{1}{n}"\nmsgstr "\\\\ell = \\\\frac{1}{n}。"\n',
                  encoding="utf-8")
    assert build_zh.problems(po) == [
        "math or code only, translated (leave it empty): \\ell = \\frac{1}{n}"]


# The copy the edit test builds: the book's sources, with a toc of the root and one chapter
# (a gettext build of two documents instead of all of them).
COPIED = ["_config.yml", "intro.md", "locales", "tools/site", "chapters", "benchmarks"]


def test_editing_an_english_paragraph_fails_the_drift_check(tmp_path):
    """A chapter's (or, while no chapter is translated, intro's) paragraph edited in a copy."""
    doc = next((d for d in documents() if d.startswith("chapters/") and d not in PENDING),
               "intro")
    book = tmp_path / "book"
    for name in COPIED:
        src = ROOT / name
        (book / name).parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, book / name)
    toc = {"format": "jb-book", "root": "intro"}
    build_zh.write_yaml(book / "_toc.yml", toc if doc == "intro" else
                        {**toc, "chapters": [{"file": doc}]})
    paragraph, edited = edit_a_paragraph(book, doc)
    found = build_zh.check(book, tmp_path / "check")[doc]
    assert any(" ".join(edited.split())[:60] in p or " ".join(paragraph.split())[:60] in p
               for p in found), (f"editing a paragraph of {doc} left the drift check "
                                 f"silent: {found}")


def edit_a_paragraph(book: Path, doc: str) -> tuple[str, str]:
    """Add one word to the first long translated paragraph of doc (in the copy's source)."""
    strings = build_zh.translations(book / "locales" / "zh_CN" / "LC_MESSAGES" / f"{doc}.po")
    paragraph = next(m for m in strings if len(m) > 200 and "\n" not in m)
    # The source wraps the paragraph's lines; the message joins them.
    wrapped = re.compile(r"\s+".join(map(re.escape, paragraph.split())))

    def edit(text: str) -> str:
        return wrapped.sub(lambda m: re.sub(r"\s+", " new ", m[0], count=1), text, count=1)

    path = next(p for p in (book / f"{doc}.ipynb", book / f"{doc}.md") if p.is_file())
    if path.suffix == ".md":
        text = path.read_text(encoding="utf-8")
        assert wrapped.search(text), f"the paragraph is not in {path.name}"
        path.write_text(edit(text), encoding="utf-8")
    else:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cell = next(c for c in notebook["cells"]
                    if c["cell_type"] == "markdown" and wrapped.search("".join(c["source"])))
        cell["source"] = edit("".join(cell["source"]))
        path.write_text(json.dumps(notebook), encoding="utf-8")
    return paragraph, re.sub(r"\s+", " new ", paragraph, count=1)
