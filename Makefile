VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

# The demo: the primary and three named databases, each its own SQLite file.
export DATABASES__users_db__DB_TYPE ?= sqlite
export DATABASES__users_db__DB_NAME ?= data/users.db
export DATABASES__products_db__DB_TYPE ?= sqlite
export DATABASES__products_db__DB_NAME ?= data/products.db
export DATABASES__analytics_db__DB_TYPE ?= sqlite
export DATABASES__analytics_db__DB_NAME ?= data/analytics.db

.PHONY: run test lint format clean

run: $(VENV)/.run
	$(PY) -m app

test: $(VENV)/.dev
	$(PY) -m pytest

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(VENV)/.dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

$(VENV)/.run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[all,dev]"
	touch $@ $(VENV)/.run

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
