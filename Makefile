# Lightweight Models: one entry point for people and CI.
#
#   make serve   set up, export the default models, build the site and serve it
#   make test    set up, export, build, then run every test (unit + Playwright)
#
# Everything lands in .venv/, node_modules/, build/models/ and site/ (all git-ignored).
#
# Variables (on the command line or in the environment):
#   PYTHON=python3.13   the interpreter to build .venv with; by default the first of
#                       python3.11, python3.12, python3.13 on PATH that runs
#   TORCH_INDEX=URL     install torch from this index first, e.g. PyTorch's CPU-only wheels:
#                       TORCH_INDEX=https://download.pytorch.org/whl/cpu (see README)

PY      := .venv/bin/python
# mkdocs-material's end-of-life banner, printed at every build (the Pages workflow sets it too)
export NO_MKDOCS_2_WARNING := 1
MODELS  := build/models
PORT    ?= 8000
# The default export: every architecture; those without weights on this machine are
# exported untrained and flagged pretrained: false (never offered as classifiers).
EXPORT_ARGS ?= all --allow-untrained

# The Pythons every pinned package has wheels for (pyproject.toml's requires-python), in the
# order they are looked for. A name on PATH is not enough: a pyenv shim for a version pyenv
# has not activated is found but fails to run, so each candidate is run and its version checked.
PYTHONS       := python3.11 python3.12 python3.13
PY_SUPPORTED  := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
PY_VERSION    := import sys; print("%d.%d" % sys.version_info[:2])
PY_CANDIDATES := $(if $(PYTHON),"$(PYTHON)",$(PYTHONS))

# Rebuild .venv from scratch when its Python is not a supported one, no longer runs (its base
# Python upgraded or removed), or is not the version PYTHON asks for.
VENV_OK := $(shell test -x $(PY) && $(PY) -c '$(PY_SUPPORTED)' 2>/dev/null && echo yes)
ifneq ($(PYTHON),)
ifeq ($(VENV_OK),yes)
VENV_OK := $(shell test "$$($(PY) -c '$(PY_VERSION)')" = "$$("$(PYTHON)" -c '$(PY_VERSION)' 2>/dev/null)" && echo yes)
endif
endif
ifneq ($(VENV_OK),yes)
.venv/.installed: FORCE
endif

TORCH_INDEX ?=
# torch's pin, as pyproject.toml has it (read only when TORCH_INDEX is set)
TORCH_REQ = $(shell grep -o '"torch==[^"]*"' pyproject.toml | tr -d '"')

.PHONY: setup models site serve test bench clean FORCE

setup: .venv/.installed node_modules/.package-lock.json

.venv/.installed: pyproject.toml
ifneq ($(VENV_OK),yes)
	@py=; for c in $(PY_CANDIDATES); do \
	  if "$$c" -c '$(PY_SUPPORTED)' >/dev/null 2>&1; then py=$$c; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
	  if [ -z "$(PYTHON)" ]; then why="none of $(PYTHONS) on PATH runs"; \
	  elif v=$$("$(PYTHON)" -c '$(PY_VERSION)' 2>/dev/null); then why="PYTHON=$(PYTHON) is Python $$v"; \
	  else why="PYTHON=$(PYTHON) does not run"; fi; \
	  echo "No supported Python: this project needs Python 3.11, 3.12 or 3.13, and $$why." >&2; \
	  echo "Install one: apt-get install python3 python3-venv (Debian 12 or 13, Ubuntu 24.04)," \
	    "brew install python@3.13 (macOS), pyenv install 3.13 or uv python install 3.13 (anywhere);" >&2; \
	  echo "then run make again, or name it: make setup PYTHON=/path/to/python3.13" >&2; \
	  exit 1; \
	fi; \
	echo "Creating .venv with $$py: $$("$$py" -c 'import sys; print(sys.executable, sys.version.split()[0])')"; \
	rm -rf .venv && "$$py" -m venv .venv
endif
	$(PY) -m pip install --quiet --upgrade pip
	$(if $(TORCH_INDEX),$(PY) -m pip install --quiet '$(TORCH_REQ)' --index-url '$(TORCH_INDEX)')
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

models: setup
	$(PY) -m export $(EXPORT_ARGS) --out $(MODELS)

site: setup
	@test -f $(MODELS)/models.json || $(MAKE) models
	$(PY) -m mkdocs build --strict

serve: site
	$(PY) site_app/serve.py --dir site --port $(PORT)

# the tests of each file run in one of TEST_JOBS worker processes (pytest-xdist)
TEST_JOBS ?= auto
test: site
	$(PY) -m pytest -n $(TEST_JOBS) --dist loadfile

# not a test: measures the browser against native onnxruntime (~10 min on 2 cores), writes benchmarks/results.json
bench: site
	$(PY) -m benchmarks.run

clean:
	rm -rf build site
