# Lightweight Models: one entry point for people and CI.
#
#   make serve   set up, export the default models and their .tflite copies, build the site, serve it
#   make test    set up, export, build, then run every test (unit + Playwright)
#   make tflite  add LiteRT (.tflite) copies of the pretrained models (own venv, .venv-litert)
#
# Everything lands in .venv/, node_modules/, build/models/ and site/ (all git-ignored).
#
# Variables (on the command line or in the environment):
#   PYTHON=python3.13   the interpreter to build .venv with; by default the first of
#                       python3.11, python3.12, python3.13 on PATH that runs
#   TORCH_INDEX=URL     install torch from this index first, e.g. PyTorch's CPU-only wheels:
#                       TORCH_INDEX=https://download.pytorch.org/whl/cpu (see docs/export.md)

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

.PHONY: setup models tflite site serve test bench screenshot clean FORCE

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

# The LiteRT converter (make tflite) lives in a venv of its own: litert-torch brings jax,
# transformers and LiteRT's converter (~860 MB) that `make models` and the site never need.
# .venv-litert sees .venv's packages through a .pth file, so torch and every other pin are
# .venv's very files, not a second copy (1.6 GB more, and most of the install's time); pip
# installs the `litert` extra of pyproject.toml beside them, constrained by the project's
# pins, and never changes .venv. --no-compile: Python compiles the few modules the converter
# imports when it first runs, not all of jax and transformers.
LITERT_PY := .venv-litert/bin/python
LITERT_SETUP := import sys, sysconfig, tomllib; \
  p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
  open(".venv-litert/pins.txt", "w").write("\n".join(p["dependencies"]) + "\n"); \
  open(".venv-litert/requirements.txt", "w").write("\n".join(p["optional-dependencies"]["litert"]) + "\n"); \
  open(sys.argv[1] + "/lwm-venv.pth", "w").write(sysconfig.get_path("purelib") + "\n")
.venv-litert/.installed: .venv/.installed pyproject.toml
	rm -rf .venv-litert
	"$$($(PY) -c 'import sys; print(sys._base_executable)')" -m venv --without-pip .venv-litert
	$(PY) -c '$(LITERT_SETUP)' "$$($(LITERT_PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
	$(PY) -m pip --python $(LITERT_PY) install --quiet --no-compile -c .venv-litert/pins.txt -r .venv-litert/requirements.txt
	touch $@

# .tflite copies of the pretrained models in build/models, recorded in models.json
# (export/tflite.py); a model unchanged since the last conversion is kept
tflite: .venv-litert/.installed
	@test -f $(MODELS)/models.json || $(MAKE) models
	$(LITERT_PY) -m export.tflite --out $(MODELS)

site: setup
	@test -f $(MODELS)/models.json || $(MAKE) models
	$(PY) -m mkdocs build --strict

# with the .tflite copies, as the published site has them: the classifier's default runtime,
# LiteRT.js, opens them (without them the page falls back to onnxruntime-web)
serve: tflite
	$(MAKE) --no-print-directory site
	$(PY) site_app/serve.py --dir site --port $(PORT)

# the tests of each file run in one of TEST_JOBS worker processes (pytest-xdist); the site
# they test ships the .tflite files too (the classifier's LiteRT.js backend), so they come first
TEST_JOBS ?= auto
test: tflite
	$(MAKE) --no-print-directory site
	$(PY) -m pytest -n $(TEST_JOBS) --dist loadfile --durations=25

# not a test: measures the browser against native onnxruntime, and LiteRT.js and native LiteRT
# on the .tflite copies (~20 min on 2 cores), writes benchmarks/results.json; then where
# onnxruntime-web spends the int8 files' time, kernel by kernel (benchmarks/opprofile.json)
bench: tflite
	$(MAKE) --no-print-directory site
	$(PY) -m benchmarks.run
	$(PY) -m benchmarks.opprofile

# the README's picture of the classifier with its map, taken from the site/ already built
# (builds nothing: run make site first); writes .github/assets/readme-classifier.png
screenshot:
	$(PY) -m site_app.screenshot

clean:
	rm -rf build site
