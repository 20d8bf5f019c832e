"""Chapter 2's computation graphs (npgrad.graph's SVG) are legible on the built page.

The book shows each SVG as an <img>, scaled down to the content column when it is wider.
For every graph on the page this test draws the same SVG inline, at the size the <img> has
on screen, and measures the height of every text label there: each must be at least
MIN_LABEL_PX tall, on a desktop window and on a phone. (Before the graph was laid out for the
page it was one row 2,550 px wide, and its labels came out about 3 px tall.)

Run after building the book; it uses the site, the server and the browser of conftest.py.
"""

from __future__ import annotations

import pytest

from tests.browser import bookpages as site

LOAD_TIMEOUT_MS = 90_000
PAGE = "chapters/02_autograd.html"
MIN_LABEL_PX = 10
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}

# For each npgrad graph shown on the page (an <img> of an SVG whose <title> says "computation
# graph", or the SVG inline): its rendered width, its own width, and the height on screen of
# every non-empty <text>, measured on an inline copy laid over the image at its rendered size.
MEASURE_JS = """async () => {
  const found = [];
  const measure = (svg, shownWidth, ownWidth) => {
    const heights = [...svg.querySelectorAll('text')]
      .filter(t => t.textContent.trim())
      .map(t => t.getBoundingClientRect().height);
    found.push({shown: shownWidth, own: ownWidth, labels: heights.length,
                min: Math.min(...heights)});
  };
  for (const img of document.querySelectorAll('.cell_output img')) {
    if (!/\\.svg($|\\?)/.test(img.currentSrc || img.src)) continue;
    const text = await (await fetch(img.currentSrc || img.src)).text();
    if (!text.includes('computation graph')) continue;
    const box = img.getBoundingClientRect();
    const holder = document.createElement('div');
    holder.style.cssText = `position:absolute; left:${box.left + scrollX}px;` +
                           `top:${box.top + scrollY}px; width:${box.width}px;`;
    holder.innerHTML = text;
    const svg = holder.querySelector('svg');
    const own = parseFloat(svg.getAttribute('width'));
    svg.setAttribute('width', box.width);
    svg.setAttribute('height', box.height);
    document.body.appendChild(holder);
    measure(svg, box.width, own);
    holder.remove();
  }
  for (const svg of document.querySelectorAll('.cell_output svg')) {
    const title = svg.querySelector('title');
    if (!title || !title.textContent.includes('computation graph')) continue;
    measure(svg, svg.getBoundingClientRect().width, parseFloat(svg.getAttribute('width')));
  }
  return found;
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_graph_labels_are_at_least_10px_tall(viewport, browser, server, monkeypatch):
    # A chapter page with hundreds of formulas can take over 15 s to load on a busy machine.
    monkeypatch.setattr(site, "TIMEOUT_MS", max(site.TIMEOUT_MS, LOAD_TIMEOUT_MS))
    if not (site.SITE / PAGE).is_file():
        pytest.skip(f"no {PAGE} in the built site {site.SITE}")
    visit = site.Visit(browser, server + PAGE)
    try:
        width, height = VIEWPORTS[viewport]
        visit.page.set_viewport_size({"width": width, "height": height})
        visit.page.evaluate(site.IMAGES_JS, site.TIMEOUT_MS)  # every image loaded
        graphs = visit.page.evaluate(MEASURE_JS)
    finally:
        visit.close()
    assert len(graphs) >= 2, f"expected the graph before and after backward(), found {graphs}"
    for graph in graphs:
        assert graph["labels"] >= 18, graph  # 7 ops and 11 tensors, at least
        assert graph["min"] >= MIN_LABEL_PX, (
            f"{viewport}: a label of the graph is {graph['min']:.1f} px tall, below "
            f"{MIN_LABEL_PX} px (drawn {graph['own']:.0f} px wide, shown {graph['shown']:.0f} px)")
