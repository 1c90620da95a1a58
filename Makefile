VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: run db test lint format clean bench bench-smoke bench-composites bench-scaling profile

# The demo: each database name that neither the environment nor .env configures gets a
# SQLite file of its own (data/users.db for users_db), instead of sharing the primary's.
run db: export SQLITE_DEMO ?= true

run: $(VENV)/.run
	$(PY) -m app

# The migration CLI on the same databases as `make run`: make db ARGS="upgrade --database users_db"
db: $(VENV)/.run
	$(PY) -m app db $(ARGS)

test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# The benchmark (bench/README.md): this checkout under wrk, beside hand-written baselines.
# The checkout is put first on PYTHONPATH and the venv is only asked for the bench extra, so a
# venv whose editable install points at another checkout is measured with this one's code.
BENCH_EXTRA = $(PY) -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bench"]))'

bench: | $(PY)
	$(PY) -m pip install -q $$($(BENCH_EXTRA))
	PYTHONPATH=$(CURDIR) $(PY) -m bench $(BENCH_ARGS)
	$(MAKE) bench-scaling

bench-smoke: | $(PY)
	$(PY) -m pip install -q $$($(BENCH_EXTRA))
	PYTHONPATH=$(CURDIR) $(PY) -m bench --smoke $(BENCH_ARGS)

# What ?expand= and SHARDS cost (bench/README.md, "New features: expansion and shards"), ~5 minutes.
bench-composites: | $(PY)
	$(PY) -m pip install -q $$($(BENCH_EXTRA))
	PYTHONPATH=$(CURDIR) $(PY) -m bench --plan composites $(BENCH_ARGS)

# WORKERS=1, WORKERS=2 and 2 instances behind HAProxy on PostgreSQL, wrk -c64 (bench/README.md,
# "The scaling curve"), ~4 minutes.
# Under make bench, it takes the same arguments (--postgres-url, --out, --note ...).
SCALING_ARGS ?= $(BENCH_ARGS)
bench-scaling: | $(PY)
	$(PY) -m pip install -q $$($(BENCH_EXTRA))
	PYTHONPATH=$(CURDIR) $(PY) -m bench --plan scaling $(SCALING_ARGS)

profile: | $(PY)
	$(PY) -m pip install -q $$($(BENCH_EXTRA))
	PYTHONPATH=$(CURDIR) $(PY) -m bench.profile $(BENCH_ARGS)
	PYTHONPATH=$(CURDIR) $(PY) -m bench.micro

# Only when there is no venv yet: an existing one is used as it is (see the bench targets).
$(PY):
	$(MAKE) $(VENV)/.dev

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
	$(PY) -m pip install -q -e ".[all,dev,bench]"
	touch $@ $(VENV)/.run

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
