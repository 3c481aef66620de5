# SpikeLens: `make run` serves the product, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.install-stamp
DEV_STAMP := $(VENV)/.install-stamp-dev

.PHONY: run test screenshots install install-dev lint format bench-deps browser clean-data help

help:
	@echo "make run    - install, migrate, import MovieLens-100K, serve http://127.0.0.1:8000 (the first model trains in the background)"
	@echo "make test   - install and run the whole test suite"
	@echo "make lint   - ruff check + format check"
	@echo "make screenshots - regenerate docs/screenshots/ from the browser tests"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP) $@

install: $(STAMP)

install-dev: $(DEV_STAMP)

run: install
	./bin/run

test: install-dev browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests write their screenshots to a temporary folder; this keeps docs/screenshots/.
screenshots: install-dev browser
	SPIKELENS_SCREENSHOTS_DIR=docs/screenshots SPIKELENS_REQUIRE_BROWSER=1 \
		$(PY) -m pytest tests/e2e -q -k first_visit

# Debian's Chromium for the end-to-end tests (never a downloaded browser). Installed when missing
# and this user may install packages; otherwise the browser tests say why they are skipped.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests…"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
		(apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1) || \
		echo "Could not install chromium; browser tests will be skipped."; \
	fi

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Optional peers for `python -m bench.core`: snnTorch and SpikingJelly. SpikingJelly is
# installed without its declared dependencies because they pull a torchvision that cannot load
# beside the pinned CPU torch; its multi-step torch backend needs only loguru of them.
bench-deps: install
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) -m pip install --quiet --no-deps spikingjelly==2.0.0 loguru==0.7.3

clean-data:
	rm -rf data/test data/celery
