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

# With CITYWATCH_TEST_DATABASE_URL (PostGIS) the suite runs on both databases side by side, one per core,
# each with its own data directory; each run's output is printed when both have ended. The browser tests
# are shared between the two runs (CITYWATCH_BROWSER_SHARE, tests/conftest.py): each page is driven once.
test: system test-system setup
	@if [ -z "$$CITYWATCH_TEST_DATABASE_URL" ]; then \
	  CITYWATCH_DATA_DIR="$(CURDIR)/var/test" $(BIN)/pytest -q; \
	else \
	  echo "--- the suite on SpatiaLite and on $$CITYWATCH_TEST_DATABASE_URL, side by side"; \
	  CITYWATCH_BROWSER_SHARE=1,3,5/5 CITYWATCH_DATA_DIR="$(CURDIR)/var/test" $(BIN)/pytest -q -p no:cacheprovider \
	    > var/test-spatialite.log 2>&1 & lite=$$!; \
	  CITYWATCH_BROWSER_SHARE=2,4/5 CITYWATCH_DATA_DIR="$(CURDIR)/var/test-postgis" \
	    CITYWATCH_DATABASE_URL="$$CITYWATCH_TEST_DATABASE_URL" \
	    $(BIN)/pytest -q -p no:cacheprovider > var/test-postgis.log 2>&1; pg=$$?; \
	  wait $$lite; lite=$$?; \
	  echo "--- SpatiaLite"; cat var/test-spatialite.log; \
	  echo "--- PostGIS ($$CITYWATCH_TEST_DATABASE_URL)"; cat var/test-postgis.log; \
	  test $$lite -eq 0 -a $$pg -eq 0; \
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
