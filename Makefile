# Scientific Spaces, Reproduced. A newcomer needs two targets:
#   make book   set up .venv if needed, build the site executing every chapter
#   make test   lint, unit tests, a strict build from a clean state, the site in a browser (CI)
# and, to check that every claim holds for other seeds than the build's:
#   make seeds [SEEDS="0 1 2"] [CHAPTERS="5617 6181"]   (results in _build/seeds, shown by the book)
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# Quiet TensorFlow before any kernel imports it; one hash seed so set and dict orders repeat.
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export KERAS_BACKEND := tensorflow
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# Executed outputs are reused only while all of these are unchanged (helper package, pins, config).
BUILD_INPUTS = $(sort $(shell find kexue/src -name '*.py')) kexue/pyproject.toml requirements.txt _config.yml _toc.yml
BUILD := $(BIN)/jupyter-book build . --builder html -W --keep-going

# Chapters executed at a time, by the build and by the seed study (JOBS=1 gives single-chapter times).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# The seed study: every chapter (or CHAPTERS) for every seed in SEEDS.
SEEDS ?= 0 1 2 3 4 5 6 7 8 9
CHAPTERS ?=

# Colab's side of the book: its own packages, unpinned, and the helper installed as a chapter's
# setup cell installs it (with the text extra some chapters ask for), from git (so: the committed
# HEAD). COLAB_PINS="tensorflow==2.16.2 ..." pins.
COLAB_VENV ?= .venv-colab
COLAB_PACKAGES = tensorflow keras numpy scipy matplotlib scikit-learn
COLAB_PINS ?=

.PHONY: book test lint unit site-test lab clean distclean env seeds colab-check

env: $(VENV)/.installed

$(VENV)/.installed: requirements.txt kexue/pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 13) else 1)' \
	  || { echo "The book needs Python 3.10 to 3.13 (TensorFlow 2.21); run e.g. 'make book PYTHON=python3.11'."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e ./kexue
	touch $@

book: env
	@mkdir -p _build
	@inputs=$$(cat $(BUILD_INPUTS) | sha256sum | cut -c1-16); \
	if [ "$$(cat _build/.inputs 2>/dev/null)" != "$$inputs" ]; then \
	  echo "Helper package, pins or config changed: every chapter will be executed again."; \
	  rm -rf _build/.jupyter_cache _build/.doctrees _build/jupyter_execute _build/html; \
	  echo "$$inputs" > _build/.inputs; \
	fi
	@rm -rf _build/html/reports
	@$(BIN)/python -m kexue.prefill --jobs $(JOBS)  # chapters in parallel into the cache
	@$(BUILD) || { \
	  rm -f _build/.inputs; # Sphinx would not re-read the failed pages next time: start afresh \
	  echo; echo "The build failed. What went wrong, chapter by chapter:"; \
	  for report in $$(find _build/html/reports -name '*.err.log' 2>/dev/null); do \
	    echo "--- $$report"; sed 's/\x1b\[[0-9;]*m//g' "$$report" \
	      | grep -E '^(ClaimFailed|[A-Za-z]*Error|[A-Za-z]*Exception)' | tail -n 3 || tail -n 5 "$$report"; \
	  done; exit 1; }
	@echo "The book is built: open $(CURDIR)/_build/html/index.html"

lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: env
	$(BIN)/python -m pytest tests --ignore=tests/site

# The built site in headless Chromium (skipped, saying how to install it, when there is none).
site-test: env
	$(BIN)/python -m pytest tests/site

test: lint unit
	rm -rf _build
	$(MAKE) --no-print-directory book
	$(MAKE) --no-print-directory site-test

seeds: env
	$(BIN)/python -m kexue.study --seeds $(SEEDS) --jobs $(JOBS) $(if $(strip $(CHAPTERS)),--chapters $(CHAPTERS))

# Every chapter executed alone in an empty folder, with only what Colab brings (plus a kernel runner).
colab-check:
	rm -rf $(COLAB_VENV)
	$(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet $(COLAB_PACKAGES) $(COLAB_PINS) ipykernel nbclient nbformat
	$(COLAB_VENV)/bin/python -m pip install --quiet $(COLAB_PINS) \
	  "kexue[text] @ git+file://$(CURDIR)@$$(git rev-parse HEAD)#subdirectory=kexue"
	$(COLAB_VENV)/bin/python -m pip list 2>/dev/null | grep -iE '^(tensorflow|keras|numpy|scipy|matplotlib|scikit-learn|kexue) '
	cd /tmp && $(abspath $(COLAB_VENV))/bin/python -m kexue.study --book $(CURDIR) --seeds 0 \
	  --jobs $(JOBS) --out $(CURDIR)/_build/colab-check $(if $(strip $(CHAPTERS)),--chapters $(CHAPTERS))

lab: env
	$(BIN)/jupyter lab --notebook-dir=chapters $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) $(COLAB_VENV)
