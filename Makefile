# mindedge: `make demo` and `make test` install everything they need, idempotently.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUILD ?= build

.PHONY: demo test bench lint setup system venv sdk native data ctest pytest clean

demo: setup
	$(BIN)/mindedge demo --out runs/demo

test: setup lint ctest pytest

setup: system venv sdk native data

system:
	@scripts/system-deps.sh

venv: $(STAMP)

$(STAMP): pyproject.toml | system
	@test -x $(BIN)/python || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

sdk: venv
	@$(BIN)/mindedge sdk install
	@$(BIN)/mindedge sdk install --arch aarch64

native: sdk
	@$(BIN)/mindedge sdk build
	@$(BIN)/mindedge sdk build --arch aarch64

data: venv
	@$(BIN)/mindedge data fetch mnist >/dev/null

lint: venv
	$(BIN)/ruff check .

ctest: native
	ctest --test-dir $(BUILD)/device_bench --output-on-failure
	ctest --test-dir $(BUILD)/converter_driver --output-on-failure
	ctest --test-dir $(BUILD)/aarch64/device_bench --output-on-failure

pytest: setup
	$(BIN)/python -m pytest -q -rs

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(BUILD) runs .pytest_cache .ruff_cache
