"""Copy the browser assets the book serves itself into the built site: _build/html/_vendor/.

The pages load MathJax, require.js and the ipywidgets HTML manager from there (see
`mathjax_path` and `nb_ipywidgets_js` in _config.yml), so the site needs no CDN. The files come
from the npm packages pinned in package.json / package-lock.json (`npm ci` puts them in
node_modules/); none is committed. They stay out of _static/ on purpose: Jupyter Book 1 adds
every script found in a source _static/ folder to every page.

Only what a page can request is shipped (tests/browser/test_site_pages.py checks it against the
requests every page makes): not MathJax's speech rules (`sre/`), accessibility explorer, menu
extras and other input or output components, which the combined `tex-mml-chtml.js` never
loads unless a reader turns on the explorer in MathJax's menu; not the widget manager's icon
fonts in the formats a browser that runs the page skips for woff2 (eot, ttf, svg, woff); and,
removed from the theme's files Sphinx copied, the source maps (`*.map`, for browser developer
tools), the theme's translation catalogues (`_static/locales`, used at build time only), ttf
fonts beside woff2 ones, templates and the logos of launch services the book does not use.

    python tools/site/vendor_assets.py [--site _build/html] [--node-modules node_modules]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# package -> (folder under _vendor/, folder inside the package, what to copy from there).
# MathJax's combined component loads its fonts and the TeX extensions a formula needs on demand
# from beside itself (which ones depends on the formulas, so all of both are shipped); the widget
# manager's stylesheet lists woff2 first among its icon fonts, so a browser never fetches the
# other formats. Each package's package.json and LICENSE (when it has one) go along.
ASSETS = {
    "mathjax": ("mathjax", "es5", ["tex-mml-chtml.js", "input/tex/extensions",
                                   "output/chtml/fonts/woff-v2"]),
    "requirejs": ("requirejs", ".", ["require.js"]),
    "@jupyter-widgets/html-manager": ("html-manager", "dist", ["embed-amd.js", "*.woff2"]),
}
# Files Sphinx copied from the theme that no page requests (globs relative to the site).
UNREQUESTED = ["**/*.map", "_static/locales", "_static/vendor/fontawesome/webfonts/*.ttf",
               "_static/webpack-macros.html", "_static/sbt-webpack-macros.html",  # templates
               "_static/copybutton_funcs.js",  # an ES-module copy of what copybutton.js holds
               "_static/images/logo_deepnote.svg", "_static/images/logo_jupyterhub.svg"]
# The book's own glue, loaded before require.js on widget pages: where the widget manager's fonts
# are, and MathJax 2's typeset call that ipywidgets still makes, answered by MathJax 3.
OWN = {"ipywidgets_setup.js": "npgrad/ipywidgets-setup.js"}


def pinned_versions() -> dict[str, str]:
    """The exact versions package-lock.json records for the packages above."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return {name: lock["packages"][f"node_modules/{name}"]["version"] for name in ASSETS}


def copy(src: Path, dest: Path) -> int:
    """Copy a file or a folder; return the number of files copied."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dest, dirs_exist_ok=True)
        return sum(1 for p in src.rglob("*") if p.is_file())
    shutil.copy2(src, dest)
    return 1


def prune(site: Path) -> int:
    """Remove what no page requests (UNREQUESTED) from the built site; return the bytes freed."""
    freed = 0
    for pattern in UNREQUESTED:
        for path in sorted(site.glob(pattern), reverse=True):
            if path.is_dir():
                freed += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
                shutil.rmtree(path)
            elif path.exists():
                freed += path.stat().st_size
                path.unlink()
    return freed


def vendor(site: Path, node_modules: Path) -> dict[str, int]:
    """Copy every asset into site/_vendor; fail if a package is missing or not the pinned version."""
    if not (site / "index.html").is_file():
        sys.exit(f"vendor_assets: no built site at {site} (run jupyter-book build first)")
    # A fresh copy each time: nothing left over from an earlier, larger selection.
    shutil.rmtree(site / "_vendor", ignore_errors=True)
    counts = {}
    for name, version in pinned_versions().items():
        package = node_modules / name
        meta = package / "package.json"
        installed = json.loads(meta.read_text(encoding="utf-8"))["version"] if meta.is_file() else None
        if installed != version:
            sys.exit(f"vendor_assets: {name} is {installed or 'not installed'} in {node_modules}, "
                     f"package-lock.json pins {version}: run `npm ci --no-audit --no-fund --ignore-scripts`")
        folder, base, patterns = ASSETS[name]
        dest = site / "_vendor" / folder
        counts[name] = sum(copy(f, dest / f.name) for f in [meta, *package.glob("LICENSE*")])
        for pattern in patterns:
            matches = sorted((package / base).glob(pattern))
            if not matches:
                sys.exit(f"vendor_assets: {name}@{version} has no {base}/{pattern}")
            for src in matches:
                counts[name] += copy(src, dest / src.relative_to(package / base))
    here = Path(__file__).parent
    counts["own"] = sum(copy(here / src, site / "_vendor" / dest) for src, dest in OWN.items())
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--node-modules", type=Path, default=ROOT / "node_modules")
    args = parser.parse_args()
    counts = vendor(args.site, args.node_modules)
    freed = prune(args.site)
    versions = {**pinned_versions(), "own": "tools/site"}
    print("vendor_assets: " + ", ".join(f"{n}@{versions[n]} ({c} files)" for n, c in counts.items())
          + f" -> {args.site / '_vendor'}; {freed / 1e6:.1f} MB that no page requests removed")


if __name__ == "__main__":
    main()
