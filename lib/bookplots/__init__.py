"""Figures for the book's chapters: plotting code the chapters import instead of
showing.

Not part of npgrad: npgrad is the framework the book builds; this package only draws.
One module per chapter (``bookplots.ch06`` for chapter 6, ...), each function a figure.
Importing it sets the book's matplotlib style (``bookplots.style``: text legible on a
phone).
"""

from bookplots import style

style.apply()
