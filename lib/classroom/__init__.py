"""classroom: the course's assignment tools, beside npgrad and not part of it.

- ``classroom.markers``: the nbgrader vocabulary (cell metadata, solution and
  hidden-test regions) that the other modules share;
- ``classroom.assign``: the student, solutions and instructor versions of the assignment
  notebooks, from one nbgrader-marked source;
- ``classroom.grade``: the offline autograder (``python -m classroom.grade submitted``),
  in parts: ``submissions`` (finding and reading them), ``graded_notebook`` (what runs),
  ``scoring`` (running one), ``verdicts`` (deciding its tests, apart), ``results``,
  ``reports`` and ``merge`` (a class graded in shards);
- ``classroom.judge``: what the hidden tests call (``submitted``, ``verdicts``), so that
  their verdicts are decided outside the student's reach;
- ``classroom.sandbox``, ``classroom.limits``, ``classroom.cgroups``,
  ``classroom.runner``, ``classroom.withhold``, ``classroom.channel``,
  ``classroom.plain_data``, ``classroom.safe_text``: how a submission runs isolated and
  limited, and hands back plain data that the grader reads as hostile.

A student who imports npgrad imports none of this.
"""
