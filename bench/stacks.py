"""Reading py-spy's collapsed stacks ("frame;frame;... count", frames as "name (path:line)"):
where the samples fall, by component (each sample once, by its innermost known frame) and
by suspect (a sample counts for every suspect it shows)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise

FRAME = re.compile(r"^(?P<name>.*) \((?P<path>[^:()]*)(?::\d+)?\)$")
Stack = tuple[tuple[str, str], ...]  # (name, path) from the outermost frame to the innermost

# (component, path prefix), the first that matches an innermost-first walk of a stack wins.
COMPONENTS = (
    ("SQLAlchemy: compiling SQL", "sqlalchemy/sql/compiler.py"),
    ("SQLAlchemy: cache keys", "sqlalchemy/sql/cache_key.py"),
    ("SQLAlchemy: building statements", "sqlalchemy/sql/"),
    ("SQLAlchemy: pool (checkout, pre-ping, return)", "sqlalchemy/pool/"),
    ("SQLAlchemy: asyncpg adapter and greenlet bridge", "sqlalchemy/dialects/"),
    ("SQLAlchemy: asyncpg adapter and greenlet bridge", "sqlalchemy/connectors/"),
    ("SQLAlchemy: asyncpg adapter and greenlet bridge", "sqlalchemy/util/_concurrency"),
    ("SQLAlchemy: asyncpg adapter and greenlet bridge", "sqlalchemy/util/concurrency"),
    ("SQLAlchemy: engine (execute, results)", "sqlalchemy/engine/"),
    ("SQLAlchemy: engine (execute, results)", "sqlalchemy/ext/asyncio/"),
    ("SQLAlchemy: other", "sqlalchemy/"),
    ("asyncpg", "asyncpg/"),
    ("aiomysql / PyMySQL", "aiomysql/"),
    ("aiomysql / PyMySQL", "pymysql/"),
    ("PyMongo", "pymongo/"),
    ("PyMongo", "bson/"),
    ("pydantic and FastAPI's validation", "pydantic/"),
    ("pydantic and FastAPI's validation", "fastapi/_compat"),
    ("dependency-injector", "dependency_injector/"),
    ("service code: adapters", "app/adapters/"),
    ("service code: controllers", "app/controllers/"),
    ("service code: models", "app/models/"),
    ("service code: api", "app/api/"),
    ("baseline code", "bench/"),
    ("FastAPI (routing, dependencies)", "fastapi/"),
    ("anyio (thread pool)", "anyio/"),
    ("Starlette", "starlette/"),
    ("uvicorn and httptools", "uvicorn/"),
    ("stdlib: contextlib", "contextlib.py"),
    ("stdlib: asyncio", "asyncio/"),
    ("stdlib: json", "json/"),
    ("stdlib: logging", "logging/"),
)


def _has(name: str = "", path: str = "") -> Callable[[Stack], bool]:
    return lambda stack: any(name in n and path in p for n, p in stack)


def _calls(outer: str, inner: str) -> Callable[[Stack], bool]:
    """Samples in code under `inner` (a path prefix) called straight from a frame in `outer`."""
    return lambda stack: any(
        p.startswith(outer) and q.startswith(inner) for (_, p), (_, q) in pairwise(stack)
    )


def _worker_thread(stack: Stack) -> bool:
    return any(name == "WorkerThread.run" and path.startswith("anyio/") for name, path in stack)


def _innermost(component_name: str) -> Callable[[Stack], bool]:
    return lambda stack: component(stack) == component_name


SUSPECTS: tuple[tuple[str, Callable[[Stack], bool]], ...] = (
    ("Provide marker sent to the thread pool: run_in_threadpool on the loop", _has("run_in_threadpool")),
    ("... and the thread pool's worker threads", _worker_thread),
    ("SQLAlchemy compiling a statement (a cache miss)", _has(path="sqlalchemy/sql/compiler.py")),
    ("SQLAlchemy computing each statement's cache key", _has("_generate_cache_key")),
    (
        "SQLAlchemy statement built by the adapter (select/where/values)",
        _calls("app/adapters/sql/", "sqlalchemy/sql/"),
    ),
    ("pydantic: request validation (path, query, body)", _has("request_params_to_args")),
    ("pydantic: request body validation", _has("_validate_value_with_model_field")),
    ("pydantic: response_model validating and serialising the returned row", _has("serialize_response")),
    ("controller built per request: BaseController.__init__", _has("BaseController.__init__")),
    ("dependency-injector's own Python frames (innermost)", _innermost("dependency-injector")),
    ("pool_pre_ping: the CPU of its extra round trips", _has("_ping")),
    (
        "_bounded: asynccontextmanager + asyncio.timeout around each adapter call",
        _calls("app/adapters/interface.py", "contextlib.py"),
    ),
)

# Innermost frames of a thread that waits: py-spy may count such a thread as active.
WAITING = frozenset({"Condition.wait", "Event.wait", "Queue.get", "SimpleQueue.get", "select", "poll"})


@dataclass(frozen=True)
class Profile:
    samples: Counter[Stack]

    @property
    def total(self) -> int:
        return sum(self.samples.values())

    def count(self, predicate: Callable[[Stack], bool]) -> int:
        return sum(count for stack, count in self.samples.items() if predicate(stack))

    def components(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for stack, count in self.samples.items():
            found[component(stack)] += count
        return found


def component(stack: Stack) -> str:
    if _worker_thread(stack):
        return "thread pool workers (anyio)"
    if stack and stack[0][0] == "Thread._bootstrap":
        return "other threads (aiosqlite's, for the SQLite primary)"
    for _, path in reversed(stack):
        for name, prefix in COMPONENTS:
            if path.startswith(prefix):
                return name
    return "other"


def parse(lines: Iterable[str]) -> Profile:
    samples: Counter[Stack] = Counter()
    for line in lines:
        text, _, count = line.rstrip("\n").rpartition(" ")
        if not text or not count.isdigit():
            continue
        frames = []
        for frame in text.split(";"):
            match = FRAME.match(frame)
            frames.append((match["name"], match["path"]) if match else (frame, ""))
        if frames and frames[-1][0] not in WAITING:
            samples[tuple(frames)] += int(count)
    return Profile(samples)
