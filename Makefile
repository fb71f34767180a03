# CityWatch: `make demo` sets everything up and serves the demo city; `make test` sets up and runs the suite.
# Both are idempotent: each step runs again only when its inputs changed.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
CW := $(BIN)/citywatch
VENDOR := src/citywatch/static/vendor/.stamp
LOCALE_MO := src/citywatch/locale/zh_Hans/LC_MESSAGES/django.mo
LOCALE_PO := $(wildcard src/citywatch/locale/*/LC_MESSAGES/*.po)

.PHONY: demo test setup system test-system lint bench clean

demo: system setup
	$(CW) demo

test: system test-system setup
	CITYWATCH_DATA_DIR="$(CURDIR)/var/test" $(BIN)/pytest -q
	@if [ -n "$$CITYWATCH_TEST_DATABASE_URL" ]; then \
	  echo "--- the same suite on $$CITYWATCH_TEST_DATABASE_URL"; \
	  CITYWATCH_DATA_DIR="$(CURDIR)/var/test" CITYWATCH_DATABASE_URL="$$CITYWATCH_TEST_DATABASE_URL" $(BIN)/pytest -q; \
	fi

setup: $(VENV)/.deps $(VENDOR) $(LOCALE_MO) var/.migrated

system:
	@scripts/system-packages.sh demo

test-system:
	@scripts/system-packages.sh test

$(VENV)/.deps: pyproject.toml
	@test -x $(BIN)/python || $$(scripts/find-python.sh) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(VENDOR): node_modules/.package-lock.json scripts/copy-assets.sh
	scripts/copy-assets.sh
	@touch $@

$(LOCALE_MO): $(LOCALE_PO) $(VENV)/.deps
	cd src/citywatch && ../../$(CW) compilemessages --ignore='.venv' -v 0

var/.migrated: $(VENV)/.deps $(VENDOR) $(wildcard src/citywatch/*/migrations/*.py)
	$(CW) migrate --no-input -v 0
	$(CW) collectstatic --no-input -v 0
	@mkdir -p var && touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(CW) bench nearby

clean:
	rm -rf $(VENV) node_modules src/citywatch/static/vendor var/static var/.migrated
