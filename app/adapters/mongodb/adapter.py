from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions, TypeCodec, TypeRegistry
from bson.decimal128 import Decimal128
from bson.errors import InvalidDocument
from bson.timestamp import Timestamp
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from app import consistency
from app.adapters.interface import ListQuery, Page, PoolUse, Row, missing_or_stale
from app.adapters.migrations import Migrations
from app.adapters.mongodb.migrations import MongoMigrations
from app.adapters.mongodb.pool_events import PoolWatch
from app.adapters.mongodb.sockets import close_sockets_of_cancelled_connects
from app.adapters.slots import Slots
from app.adapters.store import StoreAdapter
from app.errors import Conflict, Invalid, NotFound
from app.models.resource import Resource
from settings.urls import mask_url

_RETRIES = 100  # a write conflict is retried this often; QUERY_TIMEOUT bounds it too
_TRANSIENT = "TransientTransactionError"
# Inside `atomically`, which runs the work again on a transient error: one is left for it.
_retrying: ContextVar[bool] = ContextVar("mongodb_retrying", default=False)
T = TypeVar("T")


class _DecimalCodec(TypeCodec):
    python_type = Decimal
    bson_type = Decimal128

    def transform_python(self, value: Decimal) -> Decimal128:
        return Decimal128(value)

    def transform_bson(self, value: Decimal128) -> Decimal:
        return value.to_decimal()


CODEC_OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(
    tz_aware=True,
    tzinfo=UTC,
    uuid_representation=UuidRepresentation.STANDARD,
    type_registry=TypeRegistry([_DecimalCodec()]),
)


class MongoAdapter(StoreAdapter):
    """MongoDB through PyMongo's own async API."""

    db_type: ClassVar[str] = "mongodb"
    _client: AsyncMongoClient[dict[str, Any]] | None = None

    async def connect(self) -> None:
        close_sockets_of_cancelled_connects()
        self._pool_watch = PoolWatch()
        config = self.config
        # Each call's operations wait their turn here, first come first served, rather than
        # in PyMongo's pool: its wait with waitQueueTimeoutMS is an asyncio.wait_for, a task
        # per waiting operation (bench/README.md, "MongoDB").
        self._slots = Slots(config.POOL_SIZE + config.MAX_OVERFLOW)
        options: dict[str, Any] = {
            "serverSelectionTimeoutMS": int(config.CONNECT_TIMEOUT * 1000),
            "connectTimeoutMS": int(config.CONNECT_TIMEOUT * 1000),
            "maxPoolSize": config.POOL_SIZE + config.MAX_OVERFLOW,
            # Behind the gate an operation rarely waits for a connection; one outside it
            # (a commit, a ping, a migration) still waits at most POOL_TIMEOUT.
            "waitQueueTimeoutMS": int(config.POOL_TIMEOUT * 1000),
            "uuidRepresentation": "standard",
            "tz_aware": True,
            "appname": "multidb",
            # A write is acknowledged once it is in the server's journal: a server that
            # crashes right after the answer still has it when it restarts.
            "journal": True,
            "event_listeners": [self._pool_watch],
        }
        if config.CONNECTION_STRING is not None:
            host: str = config.CONNECTION_STRING.get_secret_value()
        else:
            host = config.DB_HOST or "localhost"
            options["port"] = config.DB_PORT
            if config.DB_USER:  # an empty user means no authentication
                options["username"] = config.DB_USER
                options["password"] = config.password
        self._client = AsyncMongoClient(host, **options)
        name = config.DB_NAME or self._client.get_default_database().name
        self._database = self._client.get_database(name, codec_options=CODEC_OPTIONS)
        # PyMongo builds a new object, with its options, at each `database[name]`: once here.
        self._collections: dict[str, AsyncCollection[dict[str, Any]]] = {}

    async def disconnect(self) -> None:
        await self._stop_upgrade()
        if self._client is not None:
            await self._client.close()

    def pool_use(self) -> PoolUse | None:
        if self._client is None:
            return None
        size = self.config.POOL_SIZE + self.config.MAX_OVERFLOW  # maxPoolSize
        return PoolUse(self._pool_watch.checked_out, size, self._slots.waiting + self._pool_watch.waiting)

    @property
    def identity(self) -> str:
        if self.config.CONNECTION_STRING is not None:
            where = mask_url(self.config.CONNECTION_STRING.get_secret_value()).split("?")[0]
        else:
            where = f"mongodb://{self.config.DB_HOST}:{self.config.DB_PORT}"
        return f"{where.rstrip('/')}#{self.database.name}"

    @property
    def migrations(self) -> Migrations:
        return MongoMigrations(self.database if self._client is not None else None)

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncClientSession]:
        assert self._client is not None
        async with self._client.start_session() as session:
            async with await session.start_transaction():
                yield session
            self._wrote(session)

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncClientSession]:
        """The unit of work's session; else a session for this one write (a single
        document changes atomically without a transaction, and without its commit's round
        trip), whose operation time becomes the client's token once it is acknowledged."""
        await self._take_slot()
        try:
            if self._session is not None:
                yield self._session
                return
            assert self._client is not None
            async with self._client.start_session() as session:
                yield session
                self._wrote(session)
        finally:
            self._slots.give()

    def _wrote(self, session: AsyncClientSession) -> None:
        # Committed: the session's operation time is the client's read-your-writes token.
        if session.operation_time is not None:
            consistency.current().wrote(self.name, _position(session.operation_time))

    async def _reading(self, read: Callable[[AsyncClientSession | None], Awaitable[T]]) -> T:
        """`read` in the unit of work's session; else, for a client that presents a token, in
        a causally consistent session that reads nothing older than its last write
        (afterClusterTime: on a replica set, a secondary waits until it has replayed that
        far); else in none (PyMongo's implicit one)."""
        wanted = consistency.current().seen.get(self.name)
        await self._take_slot()
        try:
            if self._session is not None or wanted is None or (after := _timestamp(wanted)) is None:
                return await read(self._session)
            assert self._client is not None
            async with self._client.start_session(causal_consistency=True) as session:
                session.advance_operation_time(after)
                return await read(session)
        finally:
            self._slots.give()

    async def atomically(self, work: Callable[[], Awaitable[T]]) -> T:
        retrying = _retrying.set(True)
        try:
            return await self._retried(work)
        finally:
            _retrying.reset(retrying)

    async def _retried(self, work: Callable[[], Awaitable[T]]) -> T:
        # MongoDB aborts the later of two transactions that write one document, and
        # labels the error for a retry; the work is run again, as with_transaction does.
        for attempt in itertools.count():
            try:
                return await super().atomically(work)
            except PyMongoError as error:
                if not error.has_error_label(_TRANSIENT):
                    raise
                if attempt >= _RETRIES:
                    raise self._unavailable("a write conflict went on after every retry", error) from error
            await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
        raise AssertionError("unreachable")

    @property
    def _session(self) -> AsyncClientSession | None:
        session: AsyncClientSession | None = self._unit_of_work.get()
        return session

    @property
    def database(self) -> AsyncDatabase[dict[str, Any]]:
        if self._client is None:
            raise RuntimeError(f"database {self.name!r} is not connected; call connect() first")
        return self._database

    def _collection(self, resource: Resource) -> AsyncCollection[dict[str, Any]]:
        collection = self._collections.get(resource.name)
        if collection is None:
            collection = self._collections[resource.name] = self.database[resource.name]
        return collection

    async def _ping(self) -> None:
        await self.database.command("ping")

    async def _insert(self, resource: Resource, row: Row) -> Row:
        collection = self._collection(resource)
        async with self._writing() as session:
            try:
                await collection.insert_one(_to_document(row), session=session)
            except DuplicateKeyError:
                # Outside a transaction PyMongo retries a write once after a network error;
                # a server that restarted in between may have stored the first attempt and
                # forgotten it (real MongoDB remembers). The row with this write's own new id
                # is then this write, not a conflict.
                if self._session is not None or await collection.find_one({"_id": row["id"]}) is None:
                    raise
        return row

    async def _get(self, resource: Resource, id: UUID) -> Row:
        collection = self._collection(resource)
        document = await self._reading(lambda session: collection.find_one({"_id": id}, session=session))
        if document is None:
            raise NotFound(f"no {resource.name} with id {id}")
        return _to_row(document)

    async def _get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        distinct = list(set(ids))
        collection = self._collection(resource)

        async def read(session: AsyncClientSession | None) -> list[Row]:
            # At most one document per id, all in the first batch (up to 16 MiB): with the
            # limit reached, the server closes the cursor, and no getMore follows.
            cursor = collection.find(
                {"_id": {"$in": distinct}}, limit=len(distinct), batch_size=len(distinct), session=session
            )
            return [_to_row(document) async for document in cursor]

        return {row["id"]: row for row in await self._reading(read)}

    async def _list(self, resource: Resource, query: ListQuery) -> Page:
        collection = self._collection(resource)
        where = {_field(name): value for name, value in query.filters.items()}
        sort = [(_field(key.field), DESCENDING if key.descending else ASCENDING) for key in query.sort]

        async def read(session: AsyncClientSession | None) -> Page:
            cursor = collection.find(
                where, sort=sort or None, skip=query.offset, limit=query.limit, session=session
            )
            items = [_to_row(document) async for document in cursor]
            return Page(items=items, total=await collection.count_documents(where, session=session))

        return await self._reading(read)

    async def _update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None
    ) -> Row:
        async with self._writing() as session:
            document = await self._collection(resource).find_one_and_update(
                _only(id, if_version),
                {"$set": changes, "$inc": {"version": 1}},
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if document is None:
                raise await self._missing_or_stale(resource, id, session)
        return _to_row(document)

    async def _delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None) -> None:
        async with self._writing() as session:
            result = await self._collection(resource).delete_one(_only(id, if_version), session=session)
            if result.deleted_count == 0:
                raise await self._missing_or_stale(resource, id, session)

    async def _missing_or_stale(self, resource: Resource, id: UUID, session: AsyncClientSession) -> Exception:
        exists = await self._collection(resource).find_one({"_id": id}, {"_id": 1}, session=session)
        return missing_or_stale(resource, id, exists is not None)

    def _translate(self, error: Exception, resource: Resource | None) -> Exception:
        if isinstance(error, DuplicateKeyError) and resource is not None:
            fields = " or ".join(resource.unique) or "its key"
            return Conflict(f"a {resource.name} row with the same {fields} already exists")
        # A value BSON cannot encode (an integer past 64 bits, a key MongoDB forbids):
        # the models should have refused it.
        if isinstance(error, InvalidDocument | OverflowError):
            return Invalid(f"database {self.name!r} refused a value of the request")
        if isinstance(error, PyMongoError) and error.has_error_label(_TRANSIENT) and _retrying.get():
            return error  # `atomically` runs the work again; elsewhere it is the database failing
        return super()._translate(error, resource)


def _position(time: Timestamp) -> str:
    return f"{time.time}.{time.inc}"


def _timestamp(position: str) -> Timestamp | None:
    seconds, _, increment = position.partition(".")
    if not (seconds.isdigit() and increment.isdigit() and len(position) < 24):
        return None
    return Timestamp(int(seconds), int(increment))


def _only(id: UUID, if_version: Collection[int] | None) -> dict[str, Any]:
    if if_version is None:
        return {"_id": id}
    return {"_id": id, "version": {"$in": list(if_version)}}


def _field(name: str) -> str:
    return "_id" if name == "id" else name


def _to_document(row: Row) -> dict[str, Any]:
    document = {"_id": row["id"]}
    document.update((name, value) for name, value in row.items() if name != "id")
    return document


def _to_row(document: dict[str, Any]) -> Row:
    row = {"id": document.pop("_id")}
    row.update(document)
    return row
