# Legami: the two commands are `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The suite runs on every core (pytest-xdist; each worker has its own test database).
PYTEST_ARGS ?= -n auto

.DEFAULT_GOAL := help
.PHONY: help install run test lint pytest format messages compilemessages backup restore bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Legami needs Python 3.11 or newer (found %s)." % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)  ## Create the virtualenv and install Legami with its tools

run: $(STAMP)  ## Run Legami with demo data: web, Celery worker and beat (Ctrl-C stops all)
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo
	DEBUG=true PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

test: lint pytest  ## Lint, then run the whole test suite

lint: $(STAMP)  ## ruff (lint + format check), mypy, migrations check, translations check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

pytest: $(STAMP)  ## Run the tests (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	$(BIN)/pytest $(PYTEST_ARGS)

format: $(STAMP)  ## Fix lint and formatting where ruff can
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP)  ## Extract translatable strings into locale/*/LC_MESSAGES/django.po (needs gettext)
	DEBUG=true $(BIN)/python manage.py makemessages --locale it --locale en --no-obsolete \
		--ignore '.venv/*' --ignore 'static/vendor/*' --ignore 'var/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'bench/*'

compilemessages: $(STAMP)  ## Compile the .po files into the committed .mo files (pure Python)
	$(BIN)/python -m legami.i18n_compile

# Backups use the configured database (DATABASE_URL); the quick start's SQLite file, when
# DATABASE_URL is not set, with DEBUG=true as `make run` uses it.
MANAGE := $(if $(DATABASE_URL),,DEBUG=$${DEBUG:-true} )$(BIN)/python manage.py

backup: $(STAMP)  ## Back up the database to var/backups/ with a manifest (FILE=path to choose)
	$(MANAGE) backup $(if $(FILE),--output '$(FILE)')

restore: $(STAMP)  ## Restore FILE=… into a new database (DB=name or file) and check every table
	@test -n '$(FILE)' || { echo 'Usage: make restore FILE=var/backups/legami-….dump [DB=name]'; exit 2; }
	$(MANAGE) restore '$(FILE)' $(if $(DB),--database '$(DB)')

# Benchmarks run against the local PostgreSQL and Redis (BENCH_SERVER_URL, BENCH_REDIS_URL
# to change them); SCALE=0.002 is the smoke run CI makes. See bench/README.md.
bench: $(STAMP)  ## Run every benchmark (SCALE=1 by default), print the ratios, write bench/results.json
	$(BIN)/python -m bench.run $(if $(SCALE),--scale $(SCALE)) $(if $(ONLY),--only $(ONLY))

clean:  ## Remove the virtualenv, the quick-start database and caches
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache
