from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from settings.kinds import KINDS, Kind, kind_of
from settings.replicas import ReplicaList, check_replicas, replica_changes
from settings.secrets import SecretFile
from settings.urls import check_scheme, mask_url


def _known(db_type: str) -> str:
    kind_of(db_type)
    return db_type


# A name in settings/kinds.py's KINDS.
DatabaseType = Annotated[str, AfterValidator(_known)]


class DatabaseConfig(BaseModel):
    """One named database: where it is, and how the service pools its connections."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    DB_TYPE: DatabaseType
    DB_HOST: str | None = None
    DB_PORT: int | None = Field(default=None, ge=1, le=65535)
    DB_USER: str | None = None
    DB_PASSWORD: SecretStr = SecretStr("")
    DB_PASSWORD_FILE: SecretFile | None = None  # a file holding the password (Docker secrets)
    DB_NAME: str | None = None
    CONNECTION_STRING: SecretStr | None = None
    ODBC_DRIVER: str = "FreeTDS"
    READ_ONLY: bool = False  # connect with read-only intent (set on each read replica)

    POOL_SIZE: int = Field(default=10, ge=1)
    MAX_OVERFLOW: int = Field(default=10, ge=0)
    POOL_TIMEOUT: float = Field(default=5.0, gt=0)
    CONNECT_TIMEOUT: float = Field(default=5.0, gt=0)
    QUERY_TIMEOUT: float = Field(default=30.0, gt=0)
    REQUIRED: bool = True
    AUTO_MIGRATE: bool | None = None  # unset: true for sqlite and memory, false for servers

    READ_REPLICAS: ReplicaList = ()
    MAX_REPLICA_LAG_MS: int = Field(default=1000, ge=0)
    REPLICA_CHECK_INTERVAL: float = Field(default=1.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _type_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("DB_TYPE"), str):
            try:
                kind = kind_of(data["DB_TYPE"])
            except ValueError:
                return data  # DB_TYPE's own check says so
            data = {k: v for k, v in data.items() if v not in ("", None) or k == "DB_PASSWORD"}
            if kind.port is not None:
                data.setdefault("DB_PORT", kind.port)
            if kind.default_name is not None:
                data.setdefault("DB_NAME", kind.default_name)
        return data

    @field_validator("CONNECTION_STRING")
    @classmethod
    def _connection_string_fits_type(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None and "DB_TYPE" in info.data:
            check_scheme(info.data["DB_TYPE"], value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _one_password(self) -> DatabaseConfig:
        if self.DB_PASSWORD_FILE is not None and self.DB_PASSWORD.get_secret_value():
            raise ValueError("DB_PASSWORD and DB_PASSWORD_FILE are both set; keep one")
        return self

    def problems(self) -> list[tuple[str, str]]:
        """(field, message) for what a named database of this type is missing."""
        if self.CONNECTION_STRING is not None:
            url = self.CONNECTION_STRING.get_secret_value()
            if self.DB_TYPE == "mongodb" and not self.DB_NAME and not urlsplit(url).path.strip("/"):
                return [("DB_NAME", "a mongodb database needs a name: DB_NAME, or /<name> in the URL")]
            return []
        if not self.kind.server:
            return []
        missing = []
        if not self.DB_HOST:
            missing.append(("DB_HOST", f"a {self.DB_TYPE} database needs a host"))
        if self.kind.needs_user and not self.DB_USER:
            missing.append(("DB_USER", f"a {self.DB_TYPE} database needs a user"))
        if not self.DB_NAME:
            missing.append(("DB_NAME", f"a {self.DB_TYPE} database needs a database name"))
        return missing

    @field_validator("READ_ONLY")
    @classmethod
    def _read_only_fits_type(cls, value: bool, info: ValidationInfo) -> bool:
        if value and "DB_TYPE" in info.data and not kind_of(info.data["DB_TYPE"]).read_only_query:
            with_intent = ", ".join(name for name, kind in KINDS.items() if kind.read_only_query)
            raise ValueError(f"READ_ONLY (read-only intent) is for {with_intent} databases")
        return value

    @field_validator("READ_REPLICAS")
    @classmethod
    def _replicas_fit_type(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if "DB_TYPE" in info.data:
            check_replicas(info.data["DB_TYPE"], value)
        return value

    def replicas(self) -> list[DatabaseConfig]:
        """One config per read replica: the primary's, pointed at the replica."""
        return [
            self.model_copy(update=replica_changes(entry, self.CONNECTION_STRING, self.DB_TYPE))
            for entry in self.READ_REPLICAS
        ]

    @property
    def auto_migrate(self) -> bool:
        """Whether startup brings this database's schema to head by itself."""
        if self.AUTO_MIGRATE is not None:
            return self.AUTO_MIGRATE
        return not self.kind.server

    @property
    def kind(self) -> Kind:
        return kind_of(self.DB_TYPE)

    @property
    def password(self) -> str:
        return (self.DB_PASSWORD_FILE or self.DB_PASSWORD).get_secret_value()

    def describe(self) -> str:
        """Where this database is, safe to log: type, host and database, never a password."""
        if self.CONNECTION_STRING is not None:
            return f"{self.DB_TYPE} {mask_url(self.CONNECTION_STRING.get_secret_value())}"
        if not self.kind.server:
            return f"{self.DB_TYPE} {self.DB_NAME}" if self.DB_NAME else f"{self.DB_TYPE} (in-process)"
        return f"{self.DB_TYPE} {self.DB_HOST}:{self.DB_PORT}/{self.DB_NAME}"

    def secrets(self) -> set[str]:
        values = {self.password}
        urls = [entry for entry in self.READ_REPLICAS if "://" in entry]
        if self.CONNECTION_STRING is not None:
            urls.append(self.CONNECTION_STRING.get_secret_value())
        for url in urls:
            values |= {url, unquote(urlsplit(url).password or "")}
        return {value for value in values if value}
