# tinyctl: `make demo` and `make test` each set up a fresh machine first (scripts/setup.sh), then run.
VENV ?= .venv
PY := $(VENV)/bin/python
TINYCTL := $(VENV)/bin/tinyctl

.PHONY: setup test test-all demo bench conformance clean

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

# the ONNX backend node tests and tinyctl's own cases through the compiler, listed in docs/conformance.md
conformance: setup
	$(PY) -m tinyctl.compiler.conformance -o docs/conformance.md

clean:
	rm -rf build .pytest_cache
