# Calculus for Machine Learning: one Makefile drives the book, the course and the tests.
# Every target creates the virtual environment .venv from requirements.txt when it is
# missing or older than requirements.txt / pyproject.toml.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR_STAMP := _vendor/.installed
PORT ?= 8000
LIVE ?= 1
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: help venv vendor book serve pdf lab formgrader release grade grade-worker exchange-release exchange-collect feedback collect test-deps test test-fast bench bench-grade clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: '$(PYTHON)' not found. Install Python 3.11 or newer (or run make PYTHON=/path/to/python3.11)." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { echo "error: Python 3.11 or newer is required; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Run make PYTHON=/path/to/python3.11." >&2; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "error: '$(PYTHON)' lacks the venv module (Debian: apt-get install python3-venv)." >&2; exit 1; }
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys' 2>/dev/null; then echo "Creating $(VENV) ..."; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); fi
	@echo "Installing the pinned requirements into $(VENV) ..."
	@# uv (pinned in requirements.txt) installs the same pins as pip, in parallel: about 25 s instead of 90 s.
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep -m1 '^uv==' requirements.txt)" || { echo "error: installing uv into $(VENV) failed (see above). Is the package index reachable?" >&2; exit 1; }
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements.txt || { echo "error: installing requirements.txt into $(VENV) failed (see above). Is the package index reachable?" >&2; exit 1; }
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e . || { echo "error: installing mlcalc into $(VENV) failed (see above)." >&2; exit 1; }
	@touch $@

venv: $(STAMP) ## Create or update the virtual environment

$(VENDOR_STAMP): tools/vendor/package.json tools/vendor/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "error: npm not found. The book serves MathJax, RequireJS, the widget manager and Thebe itself, vendored from the npm registry: install Node.js 18+ with npm (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	@echo "Vendoring MathJax, RequireJS, the ipywidgets HTML manager, Thebe and marked ..."
	@rm -rf _build/npm _vendor && mkdir -p _build/npm _vendor/html-manager _vendor/thebe
	@cp tools/vendor/package.json tools/vendor/package-lock.json _build/npm/
	@cd _build/npm && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null || { echo "error: npm ci in _build/npm failed (see above). Is the npm registry reachable?" >&2; exit 1; }
	@cp -r _build/npm/node_modules/mathjax/es5 _vendor/mathjax
	@cp _build/npm/node_modules/requirejs/require.js _vendor/require.js
	@cd _build/npm/node_modules/@jupyter-widgets/html-manager/dist && cp embed-amd.js *.woff2 *.woff *.ttf *.eot *.svg ../../../../../../_vendor/html-manager/
	@# Live code (make serve): Thebe's bundle with its lazily loaded chunks, its stylesheet, and marked for Markdown outputs.
	@cd _build/npm/node_modules/thebe/lib && cp *.js *.LICENSE.txt thebe.css ../../../../../_vendor/thebe/
	@cp _build/npm/node_modules/marked/marked.min.js _vendor/thebe/marked.min.js
	@touch $@

vendor: $(VENDOR_STAMP) ## Vendor the book's JavaScript from the npm registry

book: $(STAMP) $(VENDOR_STAMP) ## Execute every chapter and build the HTML book into _build/html
	@$(BIN)/python tools/build_book.py

# LIVE=0: static pages only, no Jupyter server (and no .venv needed). JUPYTER_PORT defaults to PORT + 1.
serve: ## Serve the built book on http://127.0.0.1:$(PORT) with live code: a Jupyter server (JUPYTER_PORT) runs the chapters (LIVE=0: static pages only)
	@test -f _build/html/index.html || { echo "error: _build/html/index.html does not exist; run 'make book' first." >&2; exit 1; }
	@case "$(LIVE)" in 0|1) ;; *) echo "error: LIVE=$(LIVE) is unknown: make serve (live code) or make serve LIVE=0 (static pages only)" >&2; exit 2;; esac
	@$(if $(filter 0,$(LIVE)),$(PYTHON) tools/serve.py --static-only,$(MAKE) --no-print-directory --silent venv && $(BIN)/python tools/serve.py) --port $(PORT) $(if $(JUPYTER_PORT),--jupyter-port $(JUPYTER_PORT))

# PAGES="index 01-limits": print only these pages (index is the front page).
pdf: $(STAMP) ## Print both editions of the built book to _build/pdf/calculus-for-machine-learning[-zh].pdf (chromium, offline; after make book; PAGES=)
	@test -f _build/html/index.html || { echo "error: _build/html/index.html does not exist; run 'make book' first." >&2; exit 1; }
	@test -x /usr/bin/chromium || { echo "error: /usr/bin/chromium is missing: apt-get install chromium" >&2; exit 1; }
	@$(BIN)/python tools/pdf.py $(if $(PAGES),--pages $(PAGES))

# LAB_OPTS: extra jupyter lab options (tests/lab: --no-browser --port=N --IdentityProvider.token=T).
lab: $(STAMP) ## Open JupyterLab at the repository root: chapter 1 first, your copies of the assignments in my-exercises/ (ROLE=instructor: make formgrader)
	@case "$(or $(ROLE),learner)" in learner|instructor) ;; *) echo "error: ROLE=$(ROLE) is unknown: make lab (learner) or make lab ROLE=instructor" >&2; exit 2;; esac
	@$(if $(filter instructor,$(ROLE)),true,$(BIN)/python tools/lab/course_lab.py copy-exercises)
	@$(BIN)/jupyter lab --config=tools/lab/$(or $(ROLE),learner)_config.py $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_OPTS)

formgrader: ## Open the instructor's JupyterLab (Nbgrader -> Formgrader, Create Assignment) on nbgrader_config.py's course
	@$(MAKE) --no-print-directory lab ROLE=instructor

release: $(STAMP) ## Regenerate exercises/ (student versions) from solutions/
	@$(BIN)/python tools/release.py

grade: $(STAMP) ## Autograde SUBMISSIONS=<dir> into GRADES=<file.csv> (JOBS=n, SCHEDULER=tcp://.., UNSANDBOXED=1, DB_URL=.., SOURCE=..)
	@test -n "$(SUBMISSIONS)" || { echo "error: SUBMISSIONS is missing: make grade SUBMISSIONS=<dir with <student>/<assignment>/*.ipynb> GRADES=<file.csv>" >&2; exit 2; }
	@test -n "$(GRADES)" || { echo "error: GRADES is missing: make grade SUBMISSIONS=<dir> GRADES=<file.csv>" >&2; exit 2; }
	@test -d "$(SUBMISSIONS)" || { echo "error: SUBMISSIONS=$(SUBMISSIONS) is not a directory" >&2; exit 2; }
	@$(BIN)/python -m mlgrade grade --submissions "$(SUBMISSIONS)" --grades "$(GRADES)" --jobs $(JOBS) $(if $(UNSANDBOXED),--unsafe-no-sandbox) $(if $(SOURCE),--source "$(SOURCE)") $(if $(DB_URL),--db-url "$(DB_URL)") $(if $(WORK),--work "$(WORK)") $(if $(SCHEDULER),--scheduler "$(SCHEDULER)") $(GRADE_OPTS)

grade-worker: $(STAMP) ## Serve a Dask SCHEDULER=tcp://host:port as JOBS grading workers (from a checkout of the same commit)
	@test -n "$(SCHEDULER)" || { echo "error: SCHEDULER is missing: make grade-worker SCHEDULER=tcp://host:8786 (start the scheduler with .venv/bin/dask scheduler)" >&2; exit 2; }
	@command -v bwrap >/dev/null 2>&1 || { echo "error: bubblewrap (bwrap) is missing on this machine: apt-get install bubblewrap" >&2; exit 1; }
	@PYTHONPATH="$(CURDIR)" $(BIN)/dask worker "$(SCHEDULER)" --nworkers $(JOBS) --nthreads 1 --no-dashboard --name "$$(hostname)"

exchange-release: $(STAMP) ## Release ASSIGNMENT="<name> ..." from exercises/ to the nbgrader exchange (EXCHANGE=dir, default /usr/local/share/nbgrader/exchange)
	@test -n "$(ASSIGNMENT)" || { echo "error: ASSIGNMENT is missing: make exchange-release ASSIGNMENT=<name, e.g. 01-limits>" >&2; exit 2; }
	@$(BIN)/python -m mlgrade exchange-release --assignment $(ASSIGNMENT) $(if $(EXCHANGE),--exchange "$(EXCHANGE)")

exchange-collect: $(STAMP) ## Collect ASSIGNMENT="<name> ..." from the nbgrader exchange into SUBMISSIONS (default _grading/submitted)
	@test -n "$(ASSIGNMENT)" || { echo "error: ASSIGNMENT is missing: make exchange-collect ASSIGNMENT=<name, e.g. 01-limits>" >&2; exit 2; }
	@$(BIN)/python -m mlgrade exchange-collect --assignment $(ASSIGNMENT) $(if $(EXCHANGE),--exchange "$(EXCHANGE)") $(if $(SUBMISSIONS),--out "$(SUBMISSIONS)")

feedback: $(STAMP) ## Write one HTML feedback report per student and assignment into _grading/feedback (after make grade)
	@$(BIN)/python -m mlgrade feedback $(if $(SOURCE),--source "$(SOURCE)") $(if $(DB_URL),--db-url "$(DB_URL)") $(if $(WORK),--work "$(WORK)") $(if $(FEEDBACK),--out "$(FEEDBACK)")

collect: $(STAMP) ## Collect DOWNLOAD=<zip or folder> of ASSIGNMENT=<name> into SUBMISSIONS (default _grading/submitted); PATTERN=, DUEDATE=
	@test -n "$(DOWNLOAD)" || { echo "error: DOWNLOAD is missing: make collect DOWNLOAD=<zip or folder> ASSIGNMENT=<name>" >&2; exit 2; }
	@test -n "$(ASSIGNMENT)" || { echo "error: ASSIGNMENT is missing: make collect DOWNLOAD=<zip or folder> ASSIGNMENT=<name>" >&2; exit 2; }
	@$(BIN)/python -m mlgrade collect --download "$(DOWNLOAD)" --assignment "$(ASSIGNMENT)" $(if $(SUBMISSIONS),--out "$(SUBMISSIONS)") $(if $(PATTERN),--pattern '$(PATTERN)') $(if $(DUEDATE),--duedate "$(DUEDATE)")

bench-grade: $(STAMP) ## Time plain nbgrader, make grade JOBS=1 and JOBS=n on COPIES reference submissions (default 10), side by side, best of ROUNDS (default 3)
	@$(BIN)/python -m mlgrade bench --jobs $(JOBS) --copies $(or $(COPIES),10) --rounds $(or $(ROUNDS),3) $(if $(SOURCE),--source "$(SOURCE)")

test-deps: ## Install the system packages the tests need (chromium, bubblewrap, postgresql, npm) if missing
	@bash tools/install-test-deps.sh

test: test-deps $(STAMP) $(VENDOR_STAMP) ## Run the whole test suite (installs what it needs, builds the book first)
	@$(BIN)/python tools/build_book.py --extract-messages
	@MPLBACKEND=Agg $(BIN)/python -m pytest -n $(JOBS) --dist loadgroup --durations=15

test-fast: test-deps $(STAMP) $(VENDOR_STAMP) ## Quick check (~2 min): mlcalc and its doctests, chapter 1 alone, one assignment's grading round trip
	@MPLBACKEND=Agg $(BIN)/python -m pytest -q -n $(JOBS) --dist loadgroup tests/mlcalc mlcalc tests/test_makefile.py
	@$(BIN)/python tools/preview_chapter.py book/01-limits.md >/dev/null || { echo "error: chapter 1 failed to build alone (run: $(BIN)/python tools/preview_chapter.py book/01-limits.md)" >&2; exit 1; }
	@echo "chapter 1 builds alone"
	@$(BIN)/python -m pytest -q tests/grading/test_roundtrip.py -k "test_grade_round_trip and 01-limits"

bench: $(STAMP) ## Print the benchmarks: mlcalc against scipy, autograd and scikit-learn, side by side
	@$(BIN)/python -m bench

clean: ## Remove build output, grading work folders and the vendored assets (keeps .venv)
	rm -rf _build _vendor _grading .pytest_cache .hypothesis
