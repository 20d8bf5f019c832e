"""The course's helpers that are not figures (those are in bookplots), and not npgrad.

- `course.light`: the light setting, which cuts the heavy chapters down to run in the
  reader's browser.

Course tooling, not part of npgrad: a chapter imports it, a reader never needs to.
"""
