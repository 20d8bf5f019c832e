# The two commands of the quick start are `make book` and `make test`.
# Each creates .venv from the pinned requirements.txt when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
# Whatever runs notebooks or compares their outputs runs in the fixed numeric environment:
# NumPy's SIMD dispatch and OpenBLAS's kernel pinned to x86-64-v3, one thread, a fixed hash seed.
# tools/ci/pinned_env.py sets it, checks that it holds, and tells the tests how to compare outputs.
PINNED := $(PY) tools/ci/pinned_env.py

NPM_STAMP := node_modules/.package-lock.json
STARTED := $(shell date +%s)
LITE_STAMP := .venv-lite/.installed
NBVAL := $(PINNED) $(PY) -m pytest -p tools.ci.nbval_numbers --nbval chapters --nbval-current-env \
         --nbval-sanitize-with tools/ci/nbval_sanitize.cfg -p no:cacheprovider -q

.PHONY: book test venv data lint test-lib test-site test-lite nbval execute lab bench clean lock \
        assignments execute-assignments grade

# The strict build, then MathJax, require.js and the widget manager (pinned by npm's lockfile)
# copied into the site, so that it loads nothing from outside; then the self-hosted JupyterLite
# site in _build/html/lite/ ("Run in your browser"), built in its own venv (.venv-lite, from
# tools/lite/requirements.txt). It shows the stored outputs, so it needs no dataset; the
# datasets go into the JupyterLite site when `make data` has fetched them.
book: venv $(NPM_STAMP) $(LITE_STAMP)
	$(BIN)/jupyter-book build --all -W -n --keep-going .
	$(PY) tools/site/vendor_assets.py
	$(PY) tools/lite/build_lite.py --jupyter .venv-lite/bin/jupyter
	@echo "The book is at _build/html/index.html ($$(( $$(date +%s) - $(STARTED) )) s since make started)"

$(LITE_STAMP): tools/lite/requirements.txt tools/lite/constraints.txt
	test -x .venv-lite/bin/python || $(PYTHON) -m venv .venv-lite
	.venv-lite/bin/python -m pip install -q -r tools/lite/requirements.txt
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts

# After the set-up and ruff, four mostly single-threaded streams run side by side (the output of
# each is shown when it ends): the library's tests, nbval, and the strict book build followed
# by the browser tests of the site and of its JupyterLite.
test: venv data lint
	$(MAKE) --no-print-directory -j4 --output-sync=target test-lib nbval test-site test-lite
	@echo "make test: lint, library tests, nbval, the strict book build and the browser tests passed"

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $(STAMP)

# Fetch and verify the datasets (installing Debian's Fashion-MNIST package where apt-get may run).
data: venv
	sh tools/ci/get_data.sh $(PY)

lint: venv
	$(BIN)/ruff check .

test-lib: venv
	$(PINNED) $(PY) -m pytest tests --ignore=tests/browser

# The built site in headless Chromium, offline: math, images, widgets, links, no JS errors.
test-site: venv book
	$(PY) -m pytest tests/browser --ignore=tests/browser/test_lite.py

# The chapters in the site's JupyterLite, in headless Chromium, offline.
test-lite: venv book
	$(PY) -m pytest tests/browser/test_lite.py

# nbval over every chapter; with no chapter yet there is nothing to run (and pytest's
# "no tests collected" must not pass for a green run once chapters exist).
nbval: venv
	@if ls chapters/*.ipynb >/dev/null 2>&1; then $(NBVAL); \
	else echo "nbval: chapters/ holds no notebook yet, nothing to validate"; fi

# Re-run every chapter in place (or only NB=chapters/03_x.ipynb), in the environment nbval uses.
execute: venv data
	$(PINNED) $(PY) tools/ci/execute_notebooks.py $(or $(NB),chapters/*.ipynb)

# The student, solutions and instructor versions under _build/assignments, and the student
# copies the book shows (assignments/student; tests/classroom/test_assignments.py checks they are current).
assignments: venv
	$(PY) -m classroom.assign assignments _build/assignments
	$(PY) -m classroom.assign assignments assignments/student --only student

# Re-run the source (instructor) notebooks in place in the fixed environment, then regenerate.
execute-assignments: venv data
	$(PINNED) $(PY) tools/ci/execute_notebooks.py assignments/*.ipynb
	$(MAKE) assignments

# Grade handed-in notebooks offline, each in a sandbox (bubblewrap where it runs):
#   make grade SUBMISSIONS=path/to/submitted [TIMEOUT=600] [GRADE_ARGS='--assignment 02 --student alice']
# Needs only the classroom extra (pip install -e '.[classroom]'; .venv's Python if there is one,
# else $(PYTHON)), and MNIST (make data) for assignment 4, which trains on it.
SUBMISSIONS ?= submitted
TIMEOUT ?= 600
GRADE_ARGS ?=
grade: PY = $(or $(wildcard $(BIN)/python),$(PYTHON))
grade:
	$(PINNED) $(PY) -m classroom.grade $(SUBMISSIONS) --out _build/grades --timeout $(TIMEOUT) $(GRADE_ARGS)

# Time npgrad against hand-written NumPy and PyTorch (when installed), what each speed choice is
# worth, and where the time goes: Markdown tables in benchmarks/, shown by the book's last chapter.
bench: venv data
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS -u MKL_NUM_THREADS \
	    sh -c '$(PY) -m benchmarks.bench --out benchmarks/results.md && \
	           $(PY) -m benchmarks.ablation --out benchmarks/ablation.md && \
	           $(PY) -m benchmarks.overhead --out benchmarks/overhead.md && \
	           $(PY) -m benchmarks.profile_epoch --out benchmarks/profile.md'

lab: venv data
	$(BIN)/jupyter lab chapters

# Rebuild constraints.txt (the full lock) from requirements.txt in a throwaway venv.
lock:
	rm -rf /tmp/npgrad-lock && $(PYTHON) -m venv /tmp/npgrad-lock
	/tmp/npgrad-lock/bin/pip install -q $$(grep -vE '^(-c|-e|#)' requirements.txt)
	{ head -2 constraints.txt; /tmp/npgrad-lock/bin/pip freeze; } > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
