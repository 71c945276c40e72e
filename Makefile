# sppviz — the two commands a fresh machine needs:
#   make run    create .venv, install the runtime requirements, start the app on :7860
#   make test   create .venv, install runtime + dev requirements (and Chromium), run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test browser bench lint clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
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

test: $(VENV)/.dev browser
	$(PY) -m pytest -q

bench: $(VENV)/.runtime
	$(PY) -m sppviz bench

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
