# Two set-up commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
PORT   ?= 8000

.PHONY: demo test install install-test web bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip uv

install: $(PY)
	$(UV) pip install --python $(PY) --quiet -e .

install-test: $(PY)
	$(UV) pip install --python $(PY) --quiet -e ".[test,dev]"

# Build the dashboard when it exists (web/ with a package.json).
web:
	@if [ -f web/package.json ]; then cd web && npm ci --no-audit --no-fund && npm run build; fi

demo: install web
	$(PY) -m nautilus.cli.main demo --port $(PORT)

test: install-test
	$(PY) -m pytest -q -p no:cacheprovider

bench: install-test
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: install-test
	$(VENV)/bin/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache build dist
