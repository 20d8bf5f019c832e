"""bookplots.ch08: each figure the chapter imports draws, with the panels its alt text names."""

import numpy as np
from bookplots import ch08


def drawn(fig) -> int:
    """Axes that show an image (the unused ones of a grid are switched off)."""
    return sum(bool(ax.images) for ax in fig.axes)


def test_ch08_figures(keep_figures):
    rng = np.random.default_rng(0)
    ch08.filters(rng.standard_normal((12, 1, 5, 5)))
    ch08.feature_maps(rng.random((3, 28, 28)), rng.random((3, 12, 24, 24)), ["a", "b", "c"])
    ch08.shuffled_pixels(rng.random((28, 28)), rng.random((28, 28)))
    assert [drawn(f) for f in keep_figures] == [12, 3 * 13, 2]
    widths = [f.get_size_inches()[0] for f in keep_figures]
    assert max(widths) <= 6.5  # a row of panels about 6 inches wide: legible on a phone
