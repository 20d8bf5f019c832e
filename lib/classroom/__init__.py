"""classroom: the course's assignment tools, beside npgrad and not part of it.

- ``classroom.assign``: the student, solutions and instructor versions of the assignment
  notebooks, from one nbgrader-marked source;
- ``classroom.grade``: the offline autograder (``python -m classroom.grade submitted``);
- ``classroom.judge``: what the hidden tests call (``submitted``, ``verdicts``), so that their
  verdicts are decided outside the student's reach;
- ``classroom.sandbox``, ``classroom.runner``, ``classroom.withhold``, ``classroom.wire``: how a
  submission runs isolated and hands back plain data.

A student who imports npgrad imports none of this.
"""
