# eventsvc: `make run` sets up and serves the app; `make test` sets up and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
TRANSLATIONS := eventsvc/translations
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test js-test install install-test translations translations-update db seed lint format \
        browser-deps vendor clean

run: install translations db seed vendor
	@echo "Serving on http://$(HOST):$(PORT)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-test translations browser-deps vendor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	node --test tests/js/*.test.mjs
	$(BIN)/pytest

# The door scanner's queue and verdict logic (static/js/scanner/), in Node's own test runner.
js-test:
	node --test tests/js/*.test.mjs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Compiled catalogues (.mo) are built here, never committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS)

# After adding or changing strings: extract, merge into es/messages.po, then translate there.
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F $(TRANSLATIONS)/babel.cfg -k _l --no-location --sort-output \
	  --ignore-dirs "node_modules .venv tests" -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	rm $(TRANSLATIONS)/messages.pot

db: install
	$(FLASK) db upgrade

seed: install
	$(FLASK) eventsvc seed

# Front-end packages for the tests (axe-core) and, later, the scanner; from the npm registry.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js and npm (apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The door scanner's QR decoder (zxing-wasm), copied from node_modules into static/vendor/ so
# browsers load it from our own host, never a CDN: its reader build, its WebAssembly (which the
# scanner points the library at) and its licence. Rebuilt whenever npm installs again.
VENDOR := static/vendor
ZXING := node_modules/zxing-wasm

vendor: $(VENDOR)/zxing-wasm/.copied $(VENDOR)/noble-ed25519/.copied

$(VENDOR)/zxing-wasm/.copied: node_modules/.installed
	rm -rf $(VENDOR)/zxing-wasm
	mkdir -p $(VENDOR)/zxing-wasm
	cp $(ZXING)/dist/iife/reader/index.js $(VENDOR)/zxing-wasm/zxing-reader.js
	cp $(ZXING)/dist/reader/zxing_reader.wasm $(ZXING)/LICENSE $(VENDOR)/zxing-wasm/
	touch $@

# Ed25519 for phones whose browser lacks it in WebCrypto: the scanner checks ticket signatures
# offline (static/js/scanner/ticket.js). One ES module with no imports, loaded only when needed.
NOBLE := node_modules/@noble/ed25519

$(VENDOR)/noble-ed25519/.copied: node_modules/.installed
	rm -rf $(VENDOR)/noble-ed25519
	mkdir -p $(VENDOR)/noble-ed25519
	cp $(NOBLE)/index.js $(NOBLE)/LICENSE $(VENDOR)/noble-ed25519/
	touch $@

# Browser tests drive Debian's Chromium; as root we install it, otherwise we say what is missing.
browser-deps: node_modules/.installed
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install chromium' (the browser tests need it)."; \
	  fi; }

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .ruff_cache
	find $(TRANSLATIONS) -name '*.mo' -delete
