"""Every database operation measured at one point: the operations of each store, whatever
its backend, are wrapped here when the factory builds it (primaries and replicas alike;
shards and tenants are stores of their own, under their own names, that their composites
call). Each call records its latency and outcome (failures.outcome) and, with tracing on,
runs in a client span. With neither on, nothing is wrapped.

`sample()` reads what is not an operation, as /metrics is served and every
METRICS_SAMPLE_SECONDS in each worker: pools, replicas, composites' members.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from opentelemetry.trace import TracerProvider

from app.adapters import failures
from app.adapters.composite import CompositeAdapter
from app.adapters.interface import DatabaseAdapter, Store, Transactional
from app.adapters.sql.replicated import ReplicatedAdapter
from app.adapters.store import StoreAdapter
from app.observability.recorder import DatabaseRecorder
from app.observability.tracing import DatabaseSpans

if TYPE_CHECKING:
    from app.observability.metrics import Metrics  # prometheus-client: imported with METRICS on only

OPERATIONS = ("get", "list", "get_many", "insert", "update", "delete", "ping")
Call = Callable[..., Awaitable[Any]]
_COUNTED = "_multidb_error_counted"
S = TypeVar("S", bound=StoreAdapter)


class Observer:
    def __init__(self, metrics: Metrics | None, tracer_provider: TracerProvider | None) -> None:
        self.metrics = metrics
        self._tracer = tracer_provider.get_tracer("multidb") if tracer_provider is not None else None
        self.recorders: dict[str, DatabaseRecorder] = {}

    def watch(self, store: S) -> S:
        """`store`, its operations measured from now on."""
        if self.metrics is None and self._tracer is None:
            return store
        recorder = None
        if self.metrics is not None:
            recorder = self.recorders[store.name] = DatabaseRecorder(
                self.metrics, store.name, store.config.DB_TYPE
            )
        spans = None
        if self._tracer is not None:
            spans = DatabaseSpans(self._tracer, store.name, store.config.DB_TYPE, store.config.DB_NAME)
        wrapped: dict[str, Any] = {
            operation: _measured(getattr(store, operation), operation, recorder, spans)
            for operation in OPERATIONS
        }
        # Set while the task's unit of work on this store is measured, so that a call it is
        # made of (atomically() on transaction()) or joins is not measured again.
        inside = ContextVar(f"measured_unit_of_work_{store.name}_{id(store)}", default=False)
        wrapped["transaction"] = _measured_unit(store.transaction, recorder, spans, inside)
        if type(store).atomically is not Transactional.atomically:  # not made of transaction()
            atomically = _measured(store.atomically, "transaction", recorder, spans)
            wrapped["atomically"] = _unit_of_work(atomically, store.atomically, inside)
        for name, call in wrapped.items():
            setattr(store, name, call)
        return store

    def sample(self, adapters: Mapping[str, DatabaseAdapter]) -> None:
        metrics = self.metrics
        if metrics is None:
            return
        for name, adapter in adapters.items():
            if isinstance(adapter, CompositeAdapter):
                for key, member in adapter.members.items():
                    up = self._answering(member)
                    if up is not None:
                        metrics.member_up.labels(name, adapter.db_type, key).set(1 if up else 0)
                continue
            if not isinstance(adapter, Store) or adapter.name != name:  # a fallback name: its target's
                continue
            db_type = adapter.config.DB_TYPE
            if self._answering(adapter) is None and adapter.failure is not None:
                self._recorder_of(adapter).set_answering(False)  # failed before any operation was measured
            if isinstance(adapter, ReplicatedAdapter):
                self._sample_replicas(adapter)
                stores: list[Store] = [adapter.primary, *(replica.adapter for replica in adapter.replicas)]
            else:
                stores = [adapter]
            for store in stores:
                use = store.pool_use() if isinstance(store, StoreAdapter) else None  # each pool its own
                if use is None:
                    continue
                labels, kept = (store.name, db_type), store.config.POOL_SIZE
                metrics.pool_size.labels(*labels).set(kept)
                metrics.pool_checked_out.labels(*labels).set(use.in_use)
                metrics.pool_overflow.labels(*labels).set(max(use.in_use - kept, 0))
                metrics.pool_waiting.labels(*labels).set(use.waiting)

    def _sample_replicas(self, adapter: ReplicatedAdapter) -> None:
        assert self.metrics is not None
        for replica in adapter.replicas:
            labels = (adapter.name, adapter.config.DB_TYPE, replica.adapter.name)
            lag = math.nan if replica.lag_ms is None else replica.lag_ms / 1000
            self.metrics.replica_lag.labels(*labels).set(lag)
            self.metrics.replica_in_rotation.labels(*labels).set(1 if replica.status == "up" else 0)

    def _recorder_of(self, store: Store) -> DatabaseRecorder:
        recorder = self.recorders.get(store.name)
        if recorder is None:  # a store the factory did not build (a test's fake)
            assert self.metrics is not None
            recorder = self.recorders[store.name] = DatabaseRecorder(
                self.metrics, store.name, store.config.DB_TYPE
            )
        return recorder

    def _answering(self, store: Store) -> bool | None:
        recorder = self.recorders.get(store.name)
        return recorder.answering if recorder is not None else None


def _measured(
    call: Call, operation: str, recorder: DatabaseRecorder | None, spans: DatabaseSpans | None
) -> Call:
    if spans is None:
        assert recorder is not None

        async def measured(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = await call(*args, **kwargs)
            except BaseException as error:
                outcome = failures.outcome(error)
                if outcome is not None:
                    recorder.record(operation, outcome, time.perf_counter() - started, _counted(error))
                raise
            recorder.record(operation, "ok", time.perf_counter() - started)
            return result

        return measured

    async def traced(*args: Any, **kwargs: Any) -> Any:
        with spans.span(operation) as span:
            started = time.perf_counter()
            outcome: str | None = "ok"
            counted = False
            try:
                return await call(*args, **kwargs)
            except BaseException as error:
                outcome, counted = failures.outcome(error), _counted(error)
                raise
            finally:
                spans.ended(span, outcome)
                if recorder is not None and outcome is not None:
                    recorder.record(operation, outcome, time.perf_counter() - started, counted)

    return traced


def _counted(error: BaseException) -> bool:
    """Whether `error` was counted already (the operation that raised it is in a unit of
    work that fails with it: one error, not two); marks it counted from now on."""
    counted = getattr(error, _COUNTED, False)
    if not counted:
        with contextlib.suppress(AttributeError):  # an error that takes no attribute: counted again
            setattr(error, _COUNTED, True)
    return bool(counted)


def _unit_of_work(measured: Call, plain: Call, inside: ContextVar[bool]) -> Call:
    """`measured` for the outermost unit of work of a task, `plain` within one."""

    async def either(*args: Any, **kwargs: Any) -> Any:
        if inside.get():
            return await plain(*args, **kwargs)
        token = inside.set(True)
        try:
            return await measured(*args, **kwargs)
        finally:
            inside.reset(token)

    return either


def _measured_unit(
    transaction: Callable[[], AbstractAsyncContextManager[None]],
    recorder: DatabaseRecorder | None,
    spans: DatabaseSpans | None,
    inside: ContextVar[bool],
) -> Callable[[], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def measured() -> AsyncIterator[None]:
        if inside.get():
            async with transaction():
                yield
            return
        token = inside.set(True)
        started = time.perf_counter()
        outcome: str | None = "ok"
        counted = False
        try:
            with spans.span("transaction") if spans is not None else nullcontext() as span:
                try:
                    async with transaction():
                        yield
                except BaseException as error:
                    outcome, counted = failures.outcome(error), _counted(error)
                    raise
                finally:
                    if spans is not None and span is not None:
                        spans.ended(span, outcome)
        finally:
            inside.reset(token)
            if recorder is not None and outcome is not None:
                recorder.record("transaction", outcome, time.perf_counter() - started, counted)

    return measured
