# `make` (or `make help`) lists the targets. The quick start is `make book` and `make test`;
# `make check` is the fast loop while you work. Each sets up what it needs: .venv from the
# pinned requirements.txt when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The datasets' folder, passed to npgrad.datasets (which knows no repository layout).
export NPGRAD_DATA ?= $(CURDIR)/data
# Whatever runs notebooks or compares their outputs runs in the fixed numeric environment:
# NumPy's SIMD dispatch and OpenBLAS's kernel pinned to x86-64-v3, one thread, a fixed hash seed.
# tools/ci/pinned_env.py sets it, checks that it holds, and tells the tests how to compare outputs.
PINNED := $(PY) tools/ci/pinned_env.py
# Each test suite leaves a JUnit report here; tools/ci/summarise_tests.py reads them.
RESULTS := _build/test-results
PYTEST := $(PY) -m pytest -p no:cacheprovider

NPM_STAMP := node_modules/.package-lock.json
STARTED := $(shell date +%s)
LITE_STAMP := .venv-lite/.installed
NBVAL := $(PINNED) $(PYTEST) -p tools.ci.nbval_numbers --nbval --nbval-current-env \
         --nbval-sanitize-with tools/ci/nbval_sanitize.cfg -q
# The longest chapter runs under nbval in a process of its own, beside the rest.
NBVAL_LONG := chapters/07_generalisation.ipynb

.DEFAULT_GOAL := help
.PHONY: help book test check setup venv dev system data lint test-lib nbval test-site test-lite \
        test-nbgrader test-classroom-user translations execute lab bench clean lock assignments \
        execute-assignments grade

help: ## this list
	@echo "make TARGET, where TARGET is one of (what it needs in brackets):"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

book: venv $(NPM_STAMP) $(LITE_STAMP) ## build the book (English, and Chinese in zh/) and its JupyterLite site into _build/html [Python 3.11, npm]
	rm -rf _build/html  # no page left over from a renamed or removed chapter
	$(BIN)/jupyter-book build --all -W -n --keep-going .
	$(PY) tools/site/vendor_assets.py
	$(PY) tools/site/build_zh.py
	$(PY) -m tools.lite.build_lite --jupyter .venv-lite/bin/jupyter
	@echo "The book is at _build/html/index.html ($$(( $$(date +%s) - $(STARTED) )) s since make started)"

# After the set-up and ruff, five mostly single-threaded streams run side by side (the output
# of each is shown when it ends): the library's tests, nbval, the strict book build followed
# by the browser tests of the site and of its JupyterLite, and the nbgrader check. The summary
# counts every suite's tests and names what was skipped, why, and the command that fixes it;
# with CI=true a skipped group fails the run.
test: setup lint ## set everything up, run every test, say what ran and what was skipped [as make book; root or sudo to install Chromium, bubblewrap]
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@$(MAKE) --no-print-directory -k -j6 --output-sync=target test-lib nbval test-site test-lite \
	    test-nbgrader test-classroom-user; status=$$?; \
	  $(PY) -m tools.ci.summarise_tests $(RESULTS) --make-status $$status \
	    --seconds $$(( $$(date +%s) - $(STARTED) ))

check: venv ## ruff and the npgrad tests: the loop while you work (under a minute) [Python 3.11]
	$(BIN)/ruff check .
	$(PINNED) $(PYTEST) tests/npgrad -q

# Everything the tests need: Python packages, PyTorch (the parity tests' reference), the datasets,
# Chromium and bubblewrap where this account may install them. What cannot be installed is
# reported, and the tests that need it are skipped and named in the summary.
setup: venv dev data system ## everything make test needs (what cannot be installed is reported)

venv: $(STAMP) ## .venv from the pinned requirements.txt [Python 3.11]

$(STAMP): requirements.txt constraints.txt pyproject.toml lib/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $(STAMP)

dev: venv ## PyTorch's CPU build into .venv, for the parity tests and benchmarks (requirements-dev.txt)
	@if [ ! -f $(DEV_STAMP) ] || [ requirements-dev.txt -nt $(DEV_STAMP) ]; then \
	  if $(PY) -m pip install -q -r requirements-dev.txt; then touch $(DEV_STAMP); \
	  else echo "make dev: PyTorch could not be installed (see README: PyTorch's CPU wheels);" \
	            "the parity tests will be skipped"; fi; fi

system: ## Chromium (browser tests), bubblewrap, Slurm and munge (the grader's tests), where root or sudo may install
	@sh tools/ci/install_system.sh

data: venv ## fetch and verify MNIST and Fashion-MNIST into data/
	sh tools/ci/get_data.sh $(PY)

lint: venv ## ruff over the code and the notebooks
	$(BIN)/ruff check .

test-lib: venv ## the tests of npgrad, classroom and the book's tools (tests/ but the browser)
	@mkdir -p $(RESULTS)
	$(PINNED) $(PYTEST) tests --ignore=tests/browser --junitxml=$(RESULTS)/library.xml

nbval: venv ## re-run every chapter and compare its outputs with the stored ones (the longest beside the rest)
	@mkdir -p $(RESULTS)
	@$(NBVAL) $(NBVAL_LONG) --junitxml=$(RESULTS)/nbval-long.xml >$(RESULTS)/nbval-long.log 2>&1 & \
	  long=$$!; $(NBVAL) chapters --ignore=$(NBVAL_LONG) --junitxml=$(RESULTS)/nbval.xml; \
	  rest=$$?; wait $$long; status=$$?; echo "== nbval of $(NBVAL_LONG)"; \
	  cat $(RESULTS)/nbval-long.log; exit $$(( rest || status ))

test-site: venv book ## the built site in headless Chromium, offline [Chromium]
	@mkdir -p $(RESULTS)
	$(PYTEST) tests/browser --ignore=tests/browser/test_lite.py --ignore=tests/browser/test_lite_start.py \
	    --junitxml=$(RESULTS)/site.xml

test-lite: venv book ## the chapters in the site's JupyterLite, in headless Chromium, offline [Chromium]
	@mkdir -p $(RESULTS)
	$(PYTEST) tests/browser/test_lite.py tests/browser/test_lite_start.py --junitxml=$(RESULTS)/lite.xml

test-nbgrader: ## the assignments through a pinned nbgrader agree with classroom.grade [MNIST]
	@mkdir -p $(RESULTS)
	@bash tools/ci/check_nbgrader.sh > $(RESULTS)/nbgrader.log 2>&1; status=$$?; \
	  cat $(RESULTS)/nbgrader.log; echo $$status > $(RESULTS)/nbgrader.status; exit $$status

# As root, the grader's attack tests run again as an ordinary user (tools/ci/as_ordinary_user.sh
# creates the accounts); as an ordinary user, test-lib already ran them so.
ATTACKS := tests/classroom/test_grade_attacks.py tests/classroom/test_grade_attacks_read_source.py \
           tests/classroom/test_grade_parts.py
test-classroom-user: venv ## as root: the grader's attack tests again, as an ordinary user [root]
	@mkdir -p $(RESULTS)
	@if [ "$$(id -u)" = 0 ]; then \
	  out=$$(mktemp -d /tmp/npgrad-attacks.XXXXXX) && chmod 777 $$out && \
	  sh tools/ci/as_ordinary_user.sh $(PY) -m pytest -p no:cacheprovider -q $(ATTACKS) \
	    --junitxml=$$out/junit.xml; status=$$?; \
	  cp $$out/junit.xml $(RESULTS)/classroom-user.xml 2>/dev/null; rm -rf $$out; exit $$status; \
	else echo "test-classroom-user: not root; test-lib ran the attack tests as $$(id -un)"; fi

$(LITE_STAMP): tools/lite/requirements.txt tools/lite/constraints.txt
	test -x .venv-lite/bin/python || $(PYTHON) -m venv .venv-lite
	.venv-lite/bin/python -m pip install -q -r tools/lite/requirements.txt
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts

execute: venv data ## re-run every chapter in place (or NB=chapters/03_x.ipynb), pinned
	$(PINNED) $(PY) tools/ci/execute_notebooks.py $(or $(NB),chapters/*.ipynb)

# After an English change: refresh the Chinese catalogues (locales/) and list, per document, what
# needs translating; tests/book/test_translations.py fails until it is translated.
translations: venv ## refresh the Chinese message catalogues and list what needs translating
	$(PY) tools/site/build_zh.py --update

lab: venv data ## JupyterLab on the chapters
	$(BIN)/jupyter lab chapters

# The student, solutions and instructor versions under _build/assignments, and the student
# copies the book shows (assignments/student; tests/classroom/test_assignments.py checks them).
assignments: venv ## write the assignments' student, solutions and instructor versions
	$(PY) -m classroom.assign assignments _build/assignments
	$(PY) -m classroom.assign assignments assignments/student --only student

execute-assignments: venv data ## re-run the instructor notebooks in place, pinned, then make assignments
	$(PINNED) $(PY) tools/ci/execute_notebooks.py assignments/*.ipynb
	$(MAKE) assignments

# Grade handed-in notebooks offline, each in a sandbox (bubblewrap where it runs):
#   make grade SUBMISSIONS=path/to/submitted [TIMEOUT=600] [GRADE_ARGS='--assignment 02 --student alice']
# Needs only the classroom extra (.venv's Python if there is one, else $(PYTHON)).
SUBMISSIONS ?= submitted
TIMEOUT ?= 600
GRADE_ARGS ?=
grade: PY = $(or $(wildcard $(BIN)/python),$(PYTHON))
grade: ## grade SUBMISSIONS=folder offline in a sandbox (docs/grading.md) [bubblewrap]
	$(PINNED) $(PY) -m classroom.grade $(SUBMISSIONS) --out _build/grades --timeout $(TIMEOUT) $(GRADE_ARGS)

# Time npgrad against hand-written NumPy and PyTorch (when installed): Markdown tables in
# benchmarks/, shown by the book's performance chapter.
bench: venv dev data ## time npgrad against hand-written NumPy and PyTorch (benchmarks/*.md)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS -u MKL_NUM_THREADS \
	    sh -c '$(PY) -m benchmarks.bench --out benchmarks/results.md && \
	           $(PY) -m benchmarks.ablation --out benchmarks/ablation.md && \
	           $(PY) -m benchmarks.overhead --out benchmarks/overhead.md && \
	           $(PY) -m benchmarks.profile_epoch --out benchmarks/profile.md && \
	           $(PY) -m benchmarks.conv --out benchmarks/conv.md'

lock: ## rebuild constraints.txt (the full lock) from requirements.txt in a throwaway venv
	rm -rf /tmp/npgrad-lock && $(PYTHON) -m venv /tmp/npgrad-lock
	/tmp/npgrad-lock/bin/pip install -q $$(grep -vE '^(-c|-e|#)' requirements.txt)
	{ head -2 constraints.txt; /tmp/npgrad-lock/bin/pip freeze; } > constraints.new
	mv constraints.new constraints.txt

clean: ## remove what the builds and tests leave (not .venv, not data/)
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
