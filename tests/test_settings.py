from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.environment import error_of, load

ISSUE_EXAMPLE = {
    "DB_TYPE": "postgres",
    "DB_HOST": "localhost",
    "DB_PORT": "5432",
    "DB_USER": "postgres",
    "DB_PASSWORD": "password",
    "DB_NAME": "main_db",
    "DATABASES__users_db__DB_TYPE": "mongodb",
    "DATABASES__users_db__DB_HOST": "localhost",
    "DATABASES__users_db__DB_PORT": "27017",
    "DATABASES__users_db__DB_USER": "mongodb_user",
    "DATABASES__users_db__DB_PASSWORD": "password",
    "DATABASES__users_db__DB_NAME": "users_db",
    "DATABASES__products_db__DB_TYPE": "sqlserver",
    "DATABASES__products_db__DB_HOST": "localhost",
    "DATABASES__products_db__DB_PORT": "1433",
    "DATABASES__products_db__DB_USER": "sa",
    "DATABASES__products_db__DB_PASSWORD": "YourStrong@Passw0rd",
    "DATABASES__products_db__DB_NAME": "products_db",
}


def test_the_documented_environment_configures_three_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, **ISSUE_EXAMPLE)

    configs = settings.database_configs()
    assert list(configs) == ["default", "users_db", "products_db"]
    assert (configs["default"].DB_TYPE, configs["default"].DB_NAME) == ("postgres", "main_db")
    users = configs["users_db"]
    assert (users.DB_TYPE, users.DB_HOST, users.DB_PORT, users.DB_USER) == (
        "mongodb",
        "localhost",
        27017,
        "mongodb_user",
    )
    assert configs["products_db"].password == "YourStrong@Passw0rd"


def test_nothing_configured_is_an_embedded_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    primary = load(monkeypatch).primary

    assert (primary.DB_TYPE, primary.DB_NAME) == ("sqlite", "data/app.db")


def test_ports_default_by_type_and_an_empty_password_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(
        monkeypatch,
        DATABASES__a__DB_TYPE="mysql",
        DATABASES__a__DB_HOST="h",
        DATABASES__a__DB_USER="root",
        DATABASES__a__DB_NAME="a",
        DATABASES__a__DB_PASSWORD="",
        DATABASES__b__DB_TYPE="mongodb",
        DATABASES__b__DB_HOST="h",
        DATABASES__b__DB_NAME="b",
        DATABASES__c__DB_TYPE="sqlserver",
        DATABASES__c__DB_HOST="h",
        DATABASES__c__DB_USER="sa",
        DATABASES__c__DB_NAME="c",
    )

    ports = {name: config.DB_PORT for name, config in settings.DATABASES.items()}
    assert ports == {"a": 3306, "b": 27017, "c": 1433}
    assert settings.DATABASES["a"].password == ""
    assert settings.DATABASES["b"].DB_USER is None  # MongoDB without authentication


def test_pool_and_timeout_settings_have_defaults_and_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(
        monkeypatch,
        DATABASES__a__DB_TYPE="memory",
        DATABASES__a__POOL_SIZE="3",
        DATABASES__a__QUERY_TIMEOUT="1.5",
        DATABASES__a__REQUIRED="false",
    )

    config = settings.DATABASES["a"]
    assert (config.POOL_SIZE, config.QUERY_TIMEOUT, config.REQUIRED) == (3, 1.5, False)
    assert (config.MAX_OVERFLOW, config.POOL_TIMEOUT, config.CONNECT_TIMEOUT) == (10, 5.0, 5.0)


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DATABASES__x__DB_TYPE": "oracle"}, "DATABASES__x__DB_TYPE"),
        ({"DB_TYPE": "oracle"}, "DB_TYPE"),
        ({"DATABASES__x__DB_TYPE": "memory", "DATABASES__x__DB_PORT": "five"}, "DATABASES__x__DB_PORT"),
        ({"DB_PORT": "five"}, "DB_PORT"),
        (
            {"DATABASES__x__DB_TYPE": "postgres", "DATABASES__x__DB_USER": "u", "DATABASES__x__DB_NAME": "n"},
            "DATABASES__x__DB_HOST",
        ),
        (
            {"DATABASES__x__DB_TYPE": "mysql", "DATABASES__x__DB_HOST": "h", "DATABASES__x__DB_NAME": "n"},
            "DATABASES__x__DB_USER",
        ),
        ({"DB_TYPE": "postgres", "DB_NAME": "n"}, "DB_USER"),
        (
            {"DATABASES__x__DB_TYPE": "mongodb", "DATABASES__x__CONNECTION_STRING": "postgresql://h/d"},
            "DATABASES__x__CONNECTION_STRING",
        ),
        ({"DB_TYPE": "postgres", "DB_CONNECTION_STRING": "mysql://u:p@h/d"}, "DB_CONNECTION_STRING"),
        ({"DATABASES__x__DB_TYPE": "memory", "DATABASES__x__DB_TYPO": "1"}, "DATABASES__x__DB_TYPO"),
    ],
)
def test_bad_configuration_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], named: str
) -> None:
    message = error_of(monkeypatch, **variables)

    assert named in message
    assert "\n" not in message


def test_the_primary_keeps_localhost_as_its_default_host(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, DB_TYPE="postgres", DB_USER="u", DB_NAME="n")

    assert settings.primary.DB_HOST == "localhost"


def test_passwords_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "pa55-w0rd-XYZZY"
    settings = load(
        monkeypatch,
        DB_TYPE="postgres",
        DB_USER="u",
        DB_NAME="n",
        DB_PASSWORD=secret,
        DATABASES__m__DB_TYPE="mongodb",
        DATABASES__m__CONNECTION_STRING=f"mongodb://admin:{secret}@db.example:27017/app",
    )

    shown = [repr(settings), str(settings), settings.primary.describe(), settings.DATABASES["m"].describe()]
    assert all(secret not in text for text in shown)
    assert settings.DATABASES["m"].describe() == "mongodb mongodb://admin:***@db.example:27017/app"
    bad_port = error_of(monkeypatch, DB_PASSWORD=secret, DATABASES__m__DB_PORT="x")
    assert secret not in bad_port
    monkeypatch.delenv("DATABASES__m__DB_TYPE")
    no_type = error_of(monkeypatch, DATABASES__m__DB_PASSWORD=secret)
    assert "DATABASES__m__DB_TYPE" in no_type
    assert secret not in no_type


def test_the_service_refuses_to_start_with_one_clear_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASES"))}
    env["DATABASES__users_db__DB_TYPE"] = "oracle"

    result = subprocess.run(
        [sys.executable, "-m", "app"], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASES__users_db__DB_TYPE" in lines[0]
    assert "Traceback" not in result.stderr


def test_docker_compose_configures_the_service_validly(monkeypatch: pytest.MonkeyPatch) -> None:
    compose = yaml.safe_load((Path(__file__).parents[1] / "docker-compose.yml").read_text())

    settings = load(monkeypatch, **compose["services"]["app"]["environment"])

    types = {name: config.DB_TYPE for name, config in settings.database_configs().items()}
    assert types == {
        "default": "postgres",
        "users_db": "mongodb",
        "products_db": "sqlserver",
        "analytics_db": "postgres",
        "orders_db": "mysql",
    }


def test_a_mongodb_connection_string_must_name_its_database(monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(
        monkeypatch, DATABASES__m__DB_TYPE="mongodb", DATABASES__m__CONNECTION_STRING="mongodb://h:27017"
    )

    assert "DATABASES__m__DB_NAME" in message


def test_a_password_inside_a_connection_string_is_a_secret_too(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(
        monkeypatch,
        DATABASES__m__DB_TYPE="postgres",
        DATABASES__m__CONNECTION_STRING="postgresql://u:p%40ss@h/d",
    )

    assert "p@ss" in settings.secrets()
