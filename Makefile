# akte — the two commands: `make run` and `make test` (each works on a fresh machine).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | sha256sum | cut -c1-12)
export AKTE_DATA_DIR ?= var

.PHONY: run test install system-packages lint typecheck unit bench clean serve

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: system-packages $(STAMP)

## system-packages: Debian packages akte calls (tesseract + German data for OCR); installed only when missing.
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-deu
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends
system-packages:
	@if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx deu; then \
		echo "installing $(SYSTEM_PACKAGES)"; \
		$(APT_INSTALL) $(SYSTEM_PACKAGES) || { apt-get update -q && $(APT_INSTALL) $(SYSTEM_PACKAGES); }; \
	fi

## make run: embedded SQLite + filesystem store under var/, shipped procedures deployed, worker + web app.
run: install
	mkdir -p var
	$(BIN)/akte db upgrade
	@if ls bpmn/*/*.bpmn >/dev/null 2>&1; then $(BIN)/akte deploy bpmn; fi
	$(BIN)/akte worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; $(BIN)/akte serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

## make test: lint, types, layer contracts, then every test on SQLite and on the local PostgreSQL.
test: install lint typecheck
	$(BIN)/pytest -q

bench: install
	$(BIN)/python -m bench.engine --backend sqlite
	$(BIN)/python -m bench.engine --backend postgresql
	$(BIN)/python -m bench.timers
	$(BIN)/python -m bench.storage
	$(BIN)/python -m bench.search --backend sqlite
	$(BIN)/python -m bench.search --backend postgresql

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
