from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from settings.composites import NameList, TenantSource, composite_problems, key_tenant_problems
from settings.database import DatabaseConfig, DatabaseType
from settings.origins import origin
from settings.secrets import ApiKey, SecretFile, parse_api_keys
from settings.workers import WorkerCount

PRIMARY = "default"
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?", re.ASCII
)


class Settings(BaseSettings):
    """Everything the service reads from the environment (and `.env`)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_nested_delimiter="__",
        case_sensitive=True,
        extra="ignore",
    )

    # The primary database, named "default": DatabaseConfig's fields with a DB_ prefix.
    # Left unset, a field takes DatabaseConfig's default and is checked by its rules.
    DB_TYPE: DatabaseType = "sqlite"
    DB_HOST: str = "localhost"  # the design note's default
    DB_PORT: int | None = None
    DB_USER: str | None = None
    DB_PASSWORD: SecretStr = SecretStr("")
    DB_PASSWORD_FILE: str | None = None
    DB_NAME: str | None = None
    DB_CONNECTION_STRING: SecretStr | None = None
    DB_POOL_SIZE: int | None = None
    DB_MAX_OVERFLOW: int | None = None
    DB_POOL_TIMEOUT: float | None = None
    DB_CONNECT_TIMEOUT: float | None = None
    DB_QUERY_TIMEOUT: float | None = None
    DB_REQUIRED: bool | None = None
    DB_ODBC_DRIVER: str | None = None
    DB_READ_ONLY: bool | None = None
    DB_AUTO_MIGRATE: bool | None = None
    DB_READ_REPLICAS: Annotated[str | None, NoDecode] = None
    DB_MAX_REPLICA_LAG_MS: int | None = None
    DB_REPLICA_CHECK_INTERVAL: float | None = None

    DATABASES: dict[str, DatabaseConfig] = Field(default_factory=dict)
    DATABASES_STRICT: bool = False
    # `make run`'s demo: a name code binds to that nothing configures gets a SQLite file
    # of its own (data/users.db for users_db) instead of falling back to the primary.
    SQLITE_DEMO: bool = False
    # For every database that does not set its own: unset means true for SQLite and
    # in-memory databases, false for servers, whose schema a person should upgrade.
    AUTO_MIGRATE: bool | None = None

    # A name sharded over named databases: SHARDS__analytics_db=events_0,events_1,events_2.
    SHARDS: dict[str, NameList] = Field(default_factory=dict)
    # Tenants and the database of each (the allow-list): TENANTS__acme=acme_db. A name in
    # TENANT_SELECTED is served, per request, by the database of the request's tenant.
    TENANTS: dict[str, str] = Field(default_factory=dict)
    TENANT_SELECTED: NameList = ()
    TENANT_FROM: TenantSource = "header"  # or "path" (/t/{tenant}/...), or "api_key"
    TENANT_HEADER: str = Field(default="X-Tenant", pattern=r"^[A-Za-z0-9-]+$")
    # In a tenant deployment, the resources (by name: events) served from one database
    # for every tenant. Unset, every resource that is not tenant-selected is, with a
    # warning at startup; set (even empty), only those named are, the others not at all.
    TENANT_SHARED: NameList | None = None

    HOST: str = "127.0.0.1"
    PORT: int = Field(default=8000, ge=0, le=65535)
    # Processes serving HOST:PORT (python -m app), each with its own pools: README "Scaling out".
    WORKERS: WorkerCount = 1
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: Literal["text", "json"] = "text"  # json: one JSON object a line (README "Operating it")
    # False: no access line per request, at any LOG_LEVEL (a line costs more per request
    # than all the metrics: README "Operating it").
    ACCESS_LOG: bool = True
    HEALTH_TIMEOUT: float = Field(default=2.0, gt=0)
    # How often each database's schema is checked again while the service runs: a table
    # or collection dropped under it is then schema_behind (503 with the command to run).
    SCHEMA_CHECK_INTERVAL: float = Field(default=30.0, gt=0)
    RETRY_AFTER_SECONDS: int = Field(default=5, ge=1)
    MAX_BODY_BYTES: int = Field(default=1_048_576, ge=0)  # larger request bodies answer 413

    # What one client may cost the HTTP server (python -m app): see README "Reliability".
    HTTP_MAX_HEADER_BYTES: int = Field(default=32_768, ge=1024)  # request line and headers: else 431
    HTTP_MAX_HEADERS: int = Field(default=100, ge=1)  # header lines: else 431
    HTTP_HEADER_TIMEOUT: float = Field(default=10.0, gt=0)  # for the whole head: else 408 and closed
    HTTP_BODY_TIMEOUT: float = Field(default=10.0, gt=0)  # for the whole body, once the head is in
    HTTP_KEEP_ALIVE_TIMEOUT: int = Field(default=5, ge=1)  # an idle connection is closed after it
    HTTP_MAX_CONNECTIONS: int = Field(default=1000, ge=1)  # open at once (per worker): else 503
    # Proxies whose X-Forwarded-For and -Proto are believed (addresses or networks,
    # comma-separated; * for any): none by default, so no client can choose its address.
    FORWARDED_ALLOW_IPS: NameList = ()

    # Browser origins allowed to call the API (exact, e.g. https://app.example.com), and
    # how long a browser may keep a preflight's answer.
    CORS_ORIGINS: NameList = ()
    CORS_MAX_AGE: int = Field(default=600, ge=0)

    # Set, every endpoint but /health needs `Authorization: Bearer <key>`: see parse_api_keys.
    API_KEYS: SecretStr | None = None
    API_KEYS_FILE: SecretFile | None = None

    # Observability (README "Operating it"): Prometheus metrics at /metrics; with API keys
    # on, /metrics takes any key or METRICS_KEY (a key for that path alone); without them,
    # METRICS_KEY set, /metrics needs it. Pools and replicas are sampled this often.
    METRICS: bool = True
    METRICS_KEY: SecretStr | None = None
    METRICS_SAMPLE_SECONDS: float = Field(default=5.0, gt=0)
    # Set, traces go there by OTLP (the `otel` extra): request spans with database spans.
    OTEL_EXPORTER_OTLP_ENDPOINT: str | None = None

    _primary: DatabaseConfig = PrivateAttr()
    _api_keys: tuple[ApiKey, ...] = PrivateAttr(default=())
    _in_worker: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _databases_are_complete(self) -> Self:
        if PRIMARY in self.DATABASES:
            raise ValueError(f"DATABASES__{PRIMARY}__*: the primary is configured with DB_TYPE, DB_HOST, ...")
        try:
            self._primary = DatabaseConfig.model_validate(self._primary_fields())
        except ValidationError as error:
            raise ValueError(_primary_messages(error)) from None
        problems = [f"{_primary_variable(field)}: {message}" for field, message in self._primary.problems()]
        problems += [
            f"DATABASES__{name}__{field}: {message}"
            for name, config in self.DATABASES.items()
            for field, message in config.problems()
        ]
        problems += composite_problems(
            {PRIMARY: self._primary, **self.DATABASES}, self.SHARDS, self.TENANTS, self.TENANT_SELECTED
        )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _parse_api_keys(self) -> Self:
        if self.API_KEYS is not None and self.API_KEYS_FILE is not None:
            raise ValueError("API_KEYS and API_KEYS_FILE are both set; keep one")
        for variable, value in (("API_KEYS", self.API_KEYS), ("API_KEYS_FILE", self.API_KEYS_FILE)):
            if value is not None:
                try:
                    self._api_keys = parse_api_keys(value.get_secret_value())
                except ValueError as error:
                    raise ValueError(f"{variable}: {error}") from None
        return self

    @model_validator(mode="after")
    def _tenants_of_api_keys(self) -> Self:
        problems = key_tenant_problems(self.TENANT_FROM, [key.tenant for key in self._api_keys], self.TENANTS)
        if self.TENANT_SHARED is not None and not self.TENANT_SELECTED:
            problems.append("TENANT_SHARED is set but TENANT_SELECTED names nothing served per tenant")
        problems += [
            f"CORS_ORIGINS: {origin!r} is not an exact origin (scheme://host[:port], no path or wildcard)"
            for origin in self.CORS_ORIGINS
            if not _ORIGIN.fullmatch(origin)
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _metrics_key_is_a_key(self) -> Self:
        """METRICS_KEY follows the API keys' rules: one key, never read-only or a tenant's."""
        if self.METRICS_KEY is not None:
            text = self.METRICS_KEY.get_secret_value()
            try:
                (key,) = parse_api_keys(text)
            except ValueError as error:
                raise ValueError(f"METRICS_KEY: {str(error).removeprefix('key 1 ')}") from None
            if key.read_only or key.tenant is not None or key.secret.get_secret_value() != text.strip():
                raise ValueError("METRICS_KEY: one key, without ro: or @tenant")
        return self

    @property
    def api_keys(self) -> tuple[ApiKey, ...]:
        """The keys a client must present; empty when the service is open."""
        return self._api_keys

    @property
    def primary(self) -> DatabaseConfig:
        return self._primary

    def _primary_fields(self) -> dict[str, Any]:
        fields = {name: getattr(self, _primary_variable(name)) for name in DatabaseConfig.model_fields}
        return {name: value for name, value in fields.items() if value is not None}

    @property
    def in_worker(self) -> bool:
        """Whether these are the settings of one of several worker processes."""
        return self._in_worker

    def for_worker(self) -> Settings:
        """These settings in one of WORKERS processes: the launcher brought every schema
        to head once before starting them, so no worker migrates (two at once would race)."""
        copy = self.model_copy()
        copy._in_worker = True
        return copy

    def database_configs(self) -> dict[str, DatabaseConfig]:
        """Every configured database by name, the primary first as "default"."""
        configs = {PRIMARY: self.primary, **self.DATABASES}
        if self._in_worker:
            return {name: _never_migrated(config) for name, config in configs.items()}
        if self.AUTO_MIGRATE is None:
            return configs
        return {
            name: config
            if config.AUTO_MIGRATE is not None
            else config.model_copy(update={"AUTO_MIGRATE": self.AUTO_MIGRATE})
            for name, config in configs.items()
        }

    def demo_config(self, name: str) -> DatabaseConfig:
        """The SQLite database SQLITE_DEMO gives the unconfigured name `name`."""
        config = DatabaseConfig(DB_TYPE="sqlite", DB_NAME=f"data/{name.removesuffix('_db')}.db")
        return _never_migrated(config) if self._in_worker else config

    def configured_by(self, name: str) -> str:
        """Where the configuration of the database `name` came from, for a person to read."""
        if name in self.SHARDS:
            prefix = f"SHARDS__{name}"
        elif name in self.TENANT_SELECTED:
            prefix = "TENANT_SELECTED"
        elif name == PRIMARY:
            prefix = "DB_"
        elif name in self.DATABASES:
            prefix = f"DATABASES__{name}__"
        elif self.SQLITE_DEMO:
            return "SQLite demo default (SQLITE_DEMO=true)"
        else:
            return f"not configured: falls back to {PRIMARY}"
        env_file = self.model_config.get("env_file")
        return origin(prefix, Path(env_file) if isinstance(env_file, str) else None) or "built-in default"

    def secrets(self) -> set[str]:
        keys = {key.secret.get_secret_value() for key in self.api_keys}
        if self.METRICS_KEY is not None:
            keys.add(self.METRICS_KEY.get_secret_value())
        return keys.union(*(config.secrets() for config in self.database_configs().values()))


def _never_migrated(config: DatabaseConfig) -> DatabaseConfig:
    return config.model_copy(update={"AUTO_MIGRATE": False})


def _primary_variable(field: str) -> str:
    """The environment variable of the primary that sets DatabaseConfig's `field`."""
    return field if field.startswith("DB_") else f"DB_{field}"


def _primary_messages(error: ValidationError) -> str:
    return "; ".join(
        f"{_primary_variable(str(item['loc'][0]))}: {item['msg'].removeprefix('Value error, ')}"
        if item["loc"]
        else item["msg"].removeprefix("Value error, ")
        for item in error.errors(include_url=False)
    )
