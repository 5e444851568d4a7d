# tinyctl: `make demo` and `make test` each set up a fresh machine first (scripts/setup.sh), then run.
VENV ?= .venv
PY := $(VENV)/bin/python
TINYCTL := $(VENV)/bin/tinyctl

.PHONY: setup test test-all demo bench clean

setup:
	@scripts/setup.sh $(VENV)

test: setup
	$(PY) -m pytest -m "not slow"

test-all: setup
	$(PY) -m pytest

demo: setup
	$(TINYCTL) demo

bench: setup
	$(TINYCTL) bench --all -o BENCHMARKS.md

clean:
	rm -rf build .pytest_cache
