# Qorgau — the two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
QORGAU := $(VENV)/bin/qorgau
STAMP := $(VENV)/.installed
export QORGAU_PROJECT_DIR := $(CURDIR)

.PHONY: demo test lint bench load national national-serve check-migrations messages locales totp clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

locales: $(STAMP)
	QORGAU_MODE=test $(QORGAU) compile-locales

## make demo: build everything, load reference and demo data, serve on http://127.0.0.1:8000
demo: $(STAMP) locales
	QORGAU_DEMO=1 $(QORGAU) demo
	@# With Mosquitto installed: the project's broker, a router, a monitor and the device simulator run beside
	@# the web server (scripts/monitoring-demo.sh), and stop with it.
	QORGAU_DEMO=1 bash -c 'trap "bash scripts/monitoring-demo.sh stop" EXIT; bash scripts/monitoring-demo.sh; \
	  if [ -f "$${QORGAU_VAR_DIR:-var}/monitoring/broker.pid" ]; then export QORGAU_MONITORING_INLINE=0; fi; $(QORGAU) serve'

## make test: lint, migrations in step, unit+integration on SQLite and PostgreSQL, browser tier on PostgreSQL
test: $(STAMP) locales lint check-migrations
	bash tests/tiers.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts
	QORGAU_MODE=test $(VENV)/bin/mypy

check-migrations: $(STAMP)
	QORGAU_MODE=test $(QORGAU) makemigrations --check --dry-run

## make messages: refresh the .po catalogues from the source (needs GNU gettext's xgettext)
messages: $(STAMP)
	cd src/qorgau && QORGAU_MODE=test ../../$(QORGAU) makemessages -l ru -l kk -l en --no-obsolete --no-location

## make totp USER=inspector: the current second-factor code of a demo user
totp: $(STAMP)
	@QORGAU_DEMO=1 $(QORGAU) totp $(USER)

bench: $(STAMP) locales
	$(VENV)/bin/pip install --quiet -e '.[dev,bench]'
	QORGAU_MODE=test $(PY) -m bench

## make national: ten years of national data (~1,000,000 reports) in PostgreSQL, in bulk (scripts/national.sh)
national: $(STAMP) locales
	bash scripts/national.sh

## make national-serve: the web UI on the national data set (demo users and passwords as after make demo)
national-serve: $(STAMP) locales
	bash scripts/national.sh serve

## make load: locust against gunicorn on the national data set (builds it first when missing); bench/load
load: $(STAMP) locales
	$(VENV)/bin/pip install --quiet -e '.[dev,bench]'
	bash scripts/national.sh
	QORGAU_MODE=test $(PY) -m bench.load --database-url "$${QORGAU_NATIONAL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/qorgau_national}" \
	  --var-dir "$${QORGAU_NATIONAL_VAR_DIR:-$(CURDIR)/var/national}"

clean:
	-bash scripts/monitoring-demo.sh stop
	rm -rf var $(VENV)
