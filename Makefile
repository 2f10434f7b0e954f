# PS Pipeline — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV := $(PYTHON) -m uv
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
MANAGE := .venv/bin/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast coverage install uv migrate seed serve lint typecheck e2e bench worker beat fake-salesforce check-deploy clean

uv:
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv

install: uv
	@$(UV) sync --frozen --quiet

migrate: install
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo

# The web server and a real Celery worker (with beat) side by side, on the configured broker or, with
# none, on files under .broker/ (nothing to install); Ctrl-C stops both.
run: seed
	@echo "PS Pipeline on http://$(HOST):$(PORT)/ — log in with one of the demo logins above."
	$(MANAGE) run_with_worker $(HOST):$(PORT)

# The whole suite, spread over the machine's cores (pytest-xdist) in a random order (pytest-randomly:
# PYTEST_ARGS="--randomly-seed=N" repeats an order, "-p no:randomly" keeps the file order).
test: install
	.venv/bin/python -m pytest -n auto $(PYTEST_ARGS)

# Everything but the slow tests (browsers, migrations, real workers, races): for a quick check.
test-fast: install
	.venv/bin/python -m pytest -n auto -m "not slow" $(PYTEST_ARGS)

# The whole suite with branch coverage, printed per file (a report, not a threshold).
coverage: install
	.venv/bin/python -m pytest -n auto --cov --cov-report=term $(PYTEST_ARGS)

e2e: install
	REQUIRE_E2E=1 .venv/bin/python -m pytest tests/e2e $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/djlint templates --lint

typecheck: install
	.venv/bin/mypy core people notifications engagements salesforce scoping sow staffing forecasting calls digest api config tests

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=pipeline.example.com DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
	  $(MANAGE) check --deploy --fail-level WARNING

bench: install
	.venv/bin/python -m bench

worker: install
	.venv/bin/celery -A config worker --loglevel=INFO

beat: install
	.venv/bin/celery -A config beat --loglevel=INFO

clean:
	rm -rf .venv staticfiles .test-media .pytest_cache

# A fake Salesforce org over HTTPS with the demo opportunities (same ids as `make seed`), for
# watching the sync locally; prints the settings that point the app at it. Ctrl-C stops it.
FAKE_SALESFORCE_PORT ?= 8443
fake-salesforce: seed
	.venv/bin/python -m tests.fakes --demo --port $(FAKE_SALESFORCE_PORT) $(FAKE_SALESFORCE_ARGS)
