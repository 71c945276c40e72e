# sppviz — the two commands a fresh machine needs:
#   make run    create .venv, install the runtime requirements and sppviz itself, start the app on :7860
#   make test   create .venv, install runtime + dev requirements (and Chromium), lint, run every test
# and, once set up:
#   make check  lint + every test except the browser and the slow ones (the fast lane while editing)
#   make lint   ruff only
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test check browser bench lint clean

# sppviz itself is installed editable (no copy: the venv runs this checkout), which puts the
# `sppviz` command (= python -m sppviz) on the venv's PATH.
$(VENV)/.runtime: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=77"
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) app.py

# Debian's Chromium drives the browser tests (never `playwright install`); Noto CJK gives the Chinese
# pages (and their screenshots) real glyphs.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
	  else echo "Chromium missing: run 'sudo apt-get install chromium' for the browser tests"; fi; }
	@test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q fonts-noto-cjk; \
	  else echo "No CJK font: run 'sudo apt-get install fonts-noto-cjk' for readable Chinese screenshots"; fi; }

# ruff first: a lint error fails the target before any test runs
test: $(VENV)/.dev browser
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

# the fast lane: no browser tests (tests/e2e, marked `browser`, no Chromium needed) and none of the
# tests marked `slow` (more than a few seconds each); `make test` runs them all
check: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -m "not browser and not slow" --ignore=tests/e2e

bench: $(VENV)/.runtime
	$(PY) -m sppviz bench

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output build .cache/sppviz-test-model *.egg-info
