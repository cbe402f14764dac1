# Two set-up commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
PORT   ?= 8000

.PHONY: demo test install install-test web web-test chromium client bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip uv

install: $(PY)
	$(UV) pip install --python $(PY) --quiet -e .

install-test: $(PY)
	$(UV) pip install --python $(PY) --quiet -e ".[test,dev]"

# The dashboard's typed client is generated from the API's OpenAPI document, then built.
client:
	cd web && npm ci --no-audit --no-fund
	PY=$(PY) scripts/gen-client.sh

web: install client
	cd web && npm run build

# Unit tests of the dashboard (Vitest), then the production build the e2e tests load.
web-test: install-test client
	cd web && npm test && npm run build

# Browser tests drive Debian's Chromium through Playwright; never a downloaded browser.
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }

demo: web
	$(PY) -m nautilus.cli.main demo --port $(PORT)

test: install-test chromium web-test
	$(PY) -m pytest -q -p no:cacheprovider

bench: install-test
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: install-test
	$(VENV)/bin/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache build dist web/node_modules web/dist
