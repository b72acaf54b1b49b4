# akte — the two commands: `make run` and `make test` (each works on a fresh machine).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | sha256sum | cut -c1-12)
export AKTE_DATA_DIR ?= var
# the demo checks e-invoices by the official rules when they lie beside the checkout (see docs/einvoice.md)
export AKTE_EINVOICE_RULES ?= $(if $(wildcard ../shared/einvoice-rules),../shared/einvoice-rules,)

.PHONY: run test install system-packages assets i18n lint typecheck unit bench clean serve

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: system-packages $(STAMP) assets

## system-packages: Debian packages akte calls, installed only when missing: tesseract + German data (OCR),
## chromium (the browser tests drive it through Playwright; `playwright install` is never run), dovecot-imapd
## (the e-invoice intake tests start a throw-away IMAP server of their own; akte itself only speaks IMAP).
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends
system-packages:
	@missing=""; \
	if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx deu; then \
		missing="$$missing tesseract-ocr tesseract-ocr-deu"; fi; \
	if [ ! -x /usr/bin/chromium ]; then missing="$$missing chromium"; fi; \
	if [ ! -x /usr/sbin/dovecot ]; then missing="$$missing dovecot-imapd"; fi; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing (apt-get)"; \
		$(APT_INSTALL) $$missing >/dev/null 2>&1 || { apt-get update -q >/dev/null && $(APT_INSTALL) $$missing >/dev/null; }; \
	fi

## assets: htmx, bpmn-js and axe-core from npm (package-lock.json) into web/static/vendor/; no-op when current.
assets:
	@scripts/assets.sh

## make run: embedded SQLite + filesystem store under var/, shipped procedures deployed, worker + web app.
run: install
	mkdir -p var
	$(BIN)/akte db upgrade
	@if ls bpmn/*/*.bpmn >/dev/null 2>&1; then $(BIN)/akte deploy bpmn; fi
	$(BIN)/akte demo load
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
	$(BIN)/python -m bench.inbox
	$(BIN)/python -m bench.einvoice

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules web/static/vendor

## i18n: refresh the message catalogue from the code and templates, then compile it (commit both files).
i18n: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o web/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations -l de --no-fuzzy-matching
	$(BIN)/pybabel compile -d web/translations -l de
