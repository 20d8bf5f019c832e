#!/usr/bin/env bash
# nbgrader stays a tested path: a pinned nbgrader, in its own venv under /tmp, runs
# generate_assignment, validate and autograde on the source notebooks, and the honest and
# empty controls must score there what they score with classroom.grade (full marks and zero).
# Run from anywhere: bash tools/ci/check_nbgrader.sh (CI runs it after make test; MNIST in data/).
set -euo pipefail
cd "$(dirname "$0")/../.."
NBGRADER_VERSION=0.9.6
VENV=${NBGRADER_VENV:-/tmp/npgrad-nbgrader-venv}
PYTHON=${PYTHON:-python3}

if ! "$VENV/bin/python" -c "import nbgrader, sys; sys.exit(nbgrader.__version__ != '$NBGRADER_VERSION')" \
     2>/dev/null; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  # nbgrader pinned; NumPy and scikit-learn as the book pins them (the notebooks' numbers).
  "$VENV/bin/python" -m pip install -q "nbgrader==$NBGRADER_VERSION" \
    "$(grep -E '^numpy==' constraints.txt)" "$(grep -E '^scikit-learn==' constraints.txt)"
fi

export PATH="$VENV/bin:$PATH" PYTHONPATH="$PWD/lib" NPGRAD_DATA="${NPGRAD_DATA:-$PWD/data}"
work=$(mktemp -d /tmp/npgrad-nbgrader.XXXXXX)
trap 'rm -rf "$work"' EXIT
# In the pinned numeric environment, like every other run of the notebooks.
"$VENV/bin/python" tools/ci/pinned_env.py "$VENV/bin/python" tools/ci/check_nbgrader.py "$work"
