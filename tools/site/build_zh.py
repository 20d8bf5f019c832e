"""The Simplified Chinese edition, built from the same sources through Sphinx's gettext.

The English prose is the source; its translations live in message catalogues, one per document:
locales/zh_CN/LC_MESSAGES/<document>.po (committed; Sphinx compiles the .mo files itself).
Code cells, their outputs and the figures are the same files in both editions.

    python tools/site/build_zh.py            # build _build/html/zh/ (after the English build)
    python tools/site/build_zh.py --update   # refresh the catalogues, list what needs translating

The build writes its own config and toc under _build/zh-src/ (both derived from _config.yml and
_toc.yml, so a chapter added to the English book is in the Chinese one too):

- the config adds ZH_OVERRIDES to _config.yml: language, catalogues, the site's strings, the
  JupyterLite app one folder up (the Chinese pages open the same notebooks), the language switch;
  `recursive_update` keeps the theme options jupyter-book derives (launch buttons) that a
  replaced `html_theme_options` would drop;
- the toc's part captions are translated here, from the root document's catalogue (Sphinx
  extracts them into intro.po but never applies them: the toc is read after translation);
- Chinese search splits words with jieba (pinned in requirements.txt), with the glossary's terms
  (locales/zh_CN/glossary.md) as its user dictionary so that e.g. 反向传播 stays one word.

Then the site's assets are vendored into _build/html/zh/_vendor (MathJax: the pages load it
from their own site's _vendor/, tools/site/vendor_assets.py).

--update regenerates the message templates (the gettext builder, into _build/gettext/), runs
`sphinx-intl update` and prints, per document, the messages that are untranslated, fuzzy
(changed in English since they were translated) or obsolete (their English is gone).
tests/book/test_translations.py runs the same check and fails on any of them.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE = "zh_CN"
LOCALES = ROOT / "locales"
CATALOGUES = LOCALES / LANGUAGE / "LC_MESSAGES"
GLOSSARY = LOCALES / LANGUAGE / "glossary.md"
# The folder of the Chinese edition inside the English site, and the way back.
SUBDIR = "zh"
ROOT_DOC = "intro"

ZH_OVERRIDES = {
    "title": "从零开始的深度学习：用 NumPy 实现一个类 PyTorch 框架",
    "author": "npgrad 课程作者",
    "sphinx": {
        "recursive_update": True,
        "config": {
            "language": LANGUAGE,
            "locale_dirs": [str(LOCALES)],
            "gettext_compact": False,
            "html_theme_options": {"search_bar_text": "搜索本书……"},
            "nb_code_prompt_show": "显示代码单元的{type}",
            "nb_code_prompt_hide": "隐藏代码单元的{type}",
            "togglebutton_hint": "点击展开",
            "togglebutton_hint_hide": "点击收起",
            "npgrad_lite_url": "../lite/lab/index.html",
            "npgrad_language_links": [
                {"lang": "en", "label": "English", "root": "../",
                 "title": "Read this page in English"}],
            "npgrad_notebook_language_note": True,
        },
    },
}


def merged(base: dict, update: dict) -> dict:
    """base updated by update, dictionaries merged key by key, everything else replaced."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def book_config(book: Path) -> dict:
    """_config.yml, its local extensions' folders made absolute (jupyter-book reads them
    relative to the config file, which the derived configs are not beside)."""
    config = read_yaml(book / "_config.yml")
    local = config.get("sphinx", {}).get("local_extensions", {})
    for name, folder in local.items():
        local[name] = str((book / folder).resolve())
    return config


def write_yaml(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def gettext_config(book: Path, out: Path) -> Path:
    """The English config with one catalogue per document and no source lines in them."""
    config = merged(book_config(book), {"sphinx": {"config": {
        "gettext_compact": False, "gettext_location": False, "gettext_uuid": False}}})
    return write_yaml(out / "_config.yml", config)


def zh_config(book: Path, out: Path) -> Path:
    config = merged(book_config(book), ZH_OVERRIDES)
    config["sphinx"]["config"]["html_search_options"] = {"dict": str(jieba_dictionary(out))}
    return write_yaml(out / "_config.yml", config)


def glossary_terms(path: Path = GLOSSARY) -> list[tuple[str, str]]:
    """(English, Chinese) of each row of the glossary's tables."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) >= 2 and not set(cells[0]) <= set("-: "):
            rows.append((cells[0], cells[1]))
    return [r for r in rows if r[0].lower() != "english"]


def jieba_dictionary(out: Path) -> Path:
    """The glossary's Chinese terms as a jieba user dictionary (one word and a frequency a line)."""
    words = {w for _, zh in glossary_terms() for w in re.split(r"[（）()、，/；\s]+", zh)
             if re.search(r"[\u4e00-\u9fff]", w)}
    path = out / "jieba_dict.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{w} 1000\n" for w in sorted(words)), encoding="utf-8")
    return path


def translations(po_path: Path) -> dict[str, str]:
    """msgid -> msgstr of a catalogue's current, translated, not fuzzy messages."""
    from babel.messages.pofile import read_po

    with po_path.open("rb") as f:
        catalog = read_po(f)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def zh_toc(book: Path, out: Path) -> Path:
    """_toc.yml with each part's caption translated from the root document's catalogue."""
    toc = read_yaml(book / "_toc.yml")
    strings = translations(CATALOGUES / f"{toc['root']}.po")
    for part in toc.get("parts", []):
        if "caption" in part:
            part["caption"] = strings.get(part["caption"], part["caption"])
    return write_yaml(out / "_toc.yml", toc)


def jupyter_book(*args: str, book: Path = ROOT, env: dict | None = None) -> None:
    exe = Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(exe), "build", *args, str(book)], check=True, cwd=book,
                   env={**os.environ, **(env or {})})


def templates(book: Path = ROOT, out: Path | None = None) -> Path:
    """Regenerate the message templates (.pot) of the book's sources; return their folder."""
    out = out or book / "_build" / "gettext-src"
    config = gettext_config(book, out)
    shutil.rmtree(out / "_build" / "gettext", ignore_errors=True)
    jupyter_book("--all", "--builder", "custom", "--custom-builder", "gettext",
                 "--config", str(config), "--path-output", str(out), book=book,
                 env={"SOURCE_DATE_EPOCH": "0"})  # a fixed POT-Creation-Date: no header churn
    return out / "_build" / "gettext"


def update_catalogues(pot_dir: Path, locales: Path = LOCALES) -> None:
    """sphinx-intl update: new messages added, changed ones fuzzy, removed ones obsolete (#~)."""
    exe = Path(sys.executable).parent / "sphinx-intl"
    subprocess.run([str(exe), "update", "-p", str(pot_dir), "-l", LANGUAGE, "-d", str(locales),
                    "-w", "0"], check=True, stdout=subprocess.DEVNULL)


# What a message holds besides prose: math ($$...$$, $...$), roles ({doc}`x`) and code (`x`).
NOT_PROSE = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\{[\w:-]+\}`[^`]*`|`[^`]*`", re.S)


def untranslatable(message: str) -> bool:
    """A display-math message (LaTeX outside inline math, or a `$$` block's content, which
    starts with a newline: translating it makes Sphinx drop the equation), or one with no
    prose at all (numbers, code, inline math): it stays as it is."""
    rest = NOT_PROSE.sub("", message)
    return (message.startswith("\n") or bool(re.search(r"\\[A-Za-z]+", rest))
            or not re.search(r"[A-Za-z]", rest))


# Included files a program writes (the performance chapter's benchmark tables: their numbers
# change at every `make bench`): their messages need no translation.
GENERATED = ["benchmarks/*.md"]


def generated_text(book: Path = ROOT) -> str:
    return "\n".join(" ".join(p.read_text(encoding="utf-8").split())
                     for pattern in GENERATED for p in sorted(book.glob(pattern)))


def problems(po_path: Path, generated: str = "") -> list[str]:
    """What is wrong with one catalogue: each message untranslated, fuzzy, obsolete (a
    translation whose English is gone), or untranslatable (display math, no prose) and
    translated to something else. Messages found in `generated` text are exempt."""
    from babel.messages.pofile import read_po

    with po_path.open("rb") as f:
        catalog = read_po(f)
    found = []
    for m in catalog:
        if not m.id or (generated and " ".join(m.id.split()) in generated):
            continue
        if untranslatable(m.id):
            if m.string and m.string != m.id:
                found.append(f"math or code only, translated (leave it empty): {short(m.id)}")
        elif m.fuzzy:
            found.append(f"fuzzy (the English changed): {short(m.id)}")
        elif not m.string:
            found.append(f"untranslated: {short(m.id)}")
    found += [f"obsolete (its English is gone; translate the new text, delete this #~ entry): "
              f"{short(m.id)}" for m in catalog.obsolete.values() if m.string]
    return found


def short(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def report(locales: Path = LOCALES, book: Path = ROOT) -> dict[str, list[str]]:
    """document -> its problems, for every catalogue."""
    folder, generated = locales / LANGUAGE / "LC_MESSAGES", generated_text(book)
    return {po.relative_to(folder).with_suffix("").as_posix(): problems(po, generated)
            for po in sorted(folder.rglob("*.po"))}


def check(book: Path = ROOT, work: Path | None = None) -> dict[str, list[str]]:
    """The drift check on a copy of the catalogues: the book's templates regenerated, the copy
    updated by sphinx-intl, each document's problems (a document without a catalogue yet gets
    one, every message untranslated). The committed catalogues are left as they are."""
    work = work or book / "_build" / "i18n-check"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(book / "locales", work / "locales")
    update_catalogues(templates(book, work / "gettext-src"), work / "locales")
    return report(work / "locales", book)


def build(book: Path = ROOT, node_modules: Path | None = None) -> Path:
    src = book / "_build" / "zh-src"
    site = book / "_build" / "html" / SUBDIR
    config, toc = zh_config(book, src), zh_toc(book, src)
    jupyter_book("--all", "-W", "-n", "--keep-going", "--config", str(config), "--toc", str(toc),
                 "--path-output", str(src), book=book)
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(src / "_build" / "html", site)
    subprocess.run([sys.executable, str(ROOT / "tools" / "site" / "vendor_assets.py"),
                    "--site", str(site), "--node-modules", str(node_modules or book / "node_modules")],
                   check=True)
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true",
                        help="refresh the catalogues and list what needs translating")
    parser.add_argument("--node-modules", type=Path, default=ROOT / "node_modules",
                        help="where `npm ci` put the site's assets (tools/site/vendor_assets.py)")
    args = parser.parse_args()
    start = time.monotonic()
    if args.update:
        update_catalogues(templates())
        todo = {doc: found for doc, found in report().items() if found}
        for doc, found in todo.items():
            print(f"{doc}: {len(found)} to translate")
            print("".join(f"  {p}\n" for p in found), end="")
        print(f"build_zh --update: {sum(map(len, todo.values()))} messages to translate in "
              f"{len(todo)} documents ({time.monotonic() - start:.0f} s)")
    else:
        site = build(node_modules=args.node_modules)
        print(f"build_zh: the Chinese edition is at {site / 'index.html'} "
              f"({time.monotonic() - start:.0f} s)")


if __name__ == "__main__":
    main()
