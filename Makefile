# mindedge: `make demo` and `make test` install everything they need, idempotently.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUILD ?= build

.PHONY: demo test bench lint setup system venv sdk native data jvm ctest jvmtest pytest clean

demo: setup
	$(BIN)/mindedge demo --out runs/demo

test: setup lint ctest jvmtest pytest

setup: system venv sdk native data jvm

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

jvm: venv
	@$(BIN)/mindedge app toolchain >/dev/null

# the Kotlin app's core/ and its JNI classifier (built for the host) on the JDK, against vectors the host writes; its bundled assets
jvmtest: jvm data sdk
	$(BIN)/mindedge app test
	$(BIN)/mindedge app check

pytest: setup
	$(BIN)/python -m pytest -q -rs

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(BUILD) runs .pytest_cache .ruff_cache
