"""settings/kinds.py is the one table of database kinds: every part of the service that
needs a fact about a kind finds it there (or, for a SQL kind's connect options, in
app/adapters/sql/dialects.py under the same name), and DB_TYPE accepts exactly its kinds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.adapters.factory import DatabaseAdapterFactory
from app.adapters.interface import DatabaseAdapter
from app.adapters.sql.dialects import SQL_KINDS, engine_options, url_for
from app.adapters.sql.replication import Replication
from settings import DatabaseConfig
from settings.kinds import KINDS
from tests.support import backends, kinds

EXTRAS = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"][
    "optional-dependencies"
]


@pytest.mark.parametrize("name", KINDS)
def test_each_kind_names_an_adapter_its_driver_and_how_replicas_are_read(name: str) -> None:
    kind = KINDS[name]
    assert issubclass(DatabaseAdapterFactory.get_adapter(name), DatabaseAdapter)
    assert kind.extra is None or kind.extra in EXTRAS
    if kind.replication is not None:
        module, _, cls = kind.replication.partition(":")
        assert issubclass(getattr(__import__(module, fromlist=[cls]), cls), Replication)
    assert (name in SQL_KINDS) == (kind.sqlalchemy is not None)  # a SQL kind's options are declared


def test_db_type_accepts_the_kinds_and_refuses_others_naming_them() -> None:
    for name in KINDS:
        assert DatabaseConfig(DB_TYPE=name, DB_HOST="h", DB_USER="u", DB_NAME="n").kind is KINDS[name]
    with pytest.raises(ValidationError, match="unknown DB_TYPE 'oracle'; known: postgres, mysql, sqlserver"):
        DatabaseConfig(DB_TYPE="oracle")
    assert set(KINDS) <= set(backends.ALL)  # the contract suite runs on every kind


def test_a_url_scheme_belongs_to_one_kind() -> None:
    schemes = [scheme for kind in KINDS.values() for scheme in kind.schemes]
    assert len(schemes) == len(set(schemes))


def test_a_kind_registered_at_run_time_is_configured_like_the_others() -> None:
    with kinds.registered():
        config = DatabaseConfig(DB_TYPE=kinds.NAME, DB_HOST="db", DB_USER="u", DB_NAME="shop")
        assert config.DB_PORT == 26257
        assert url_for(config).render_as_string() == "postgresql+asyncpg://u@db:26257/shop"
        assert engine_options(config)["connect_args"] == {"timeout": 5.0}
        assert config.describe() == "cockroachdb db:26257/shop"
        with pytest.raises(ValidationError, match="a cockroachdb connection string must start with"):
            DatabaseConfig(DB_TYPE=kinds.NAME, CONNECTION_STRING="postgresql://u@db/shop")
        with pytest.raises(ValidationError, match="read replicas are for postgres, mysql and sqlserver data"):
            DatabaseConfig(DB_TYPE=kinds.NAME, DB_HOST="db", DB_USER="u", DB_NAME="n", READ_REPLICAS="r:1")
    with pytest.raises(ValidationError, match="unknown DB_TYPE 'cockroachdb'"):
        DatabaseConfig(DB_TYPE=kinds.NAME)
