# Lightweight Models: one entry point for people and CI.
#
#   make serve   set up, export the default models, build the site and serve it
#   make test    set up, export, build, then run every test (unit + Playwright)
#
# Everything lands in .venv/, node_modules/, build/models/ and site/ (all git-ignored).

PY      := .venv/bin/python
MODELS  := build/models
PORT    ?= 8000
# The default export: every architecture; those without weights on this machine are
# exported untrained and flagged pretrained: false (never offered as classifiers).
EXPORT_ARGS ?= all --allow-untrained

.PHONY: setup models site serve test bench clean

setup: .venv/.installed node_modules/.package-lock.json

.venv/.installed: pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
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

test: site
	$(PY) -m pytest

# not a test: measures the browser against native onnxruntime (~10 min on 2 cores), writes benchmarks/results.json
bench: site
	$(PY) -m benchmarks.run

clean:
	rm -rf build site
