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


def _worker_thread(stack: Stack) -> bool:
    return bool(stack) and stack[0][0] == "Thread._bootstrap"


def _bounded_wrapper(stack: Stack) -> bool:
    # The adapter's per-call wrapper: entering and leaving `_bounded` (an asynccontextmanager
    # around asyncio.timeout), not the database call inside it.
    return any(
        path == "contextlib.py" and name.endswith(("__aenter__", "__aexit__")) and inner == "_bounded"
        for (name, path), (inner, _) in pairwise(stack)
    )


SUSPECTS: tuple[tuple[str, Callable[[Stack], bool]], ...] = (
    ("Provide marker run in the thread pool: run_in_threadpool on the loop", _has("run_in_threadpool")),
    ("... and the worker threads themselves", _worker_thread),
    ("SQLAlchemy compiling a statement (cache miss)", _has(path="sqlalchemy/sql/compiler.py")),
    ("SQLAlchemy cache key of each statement", _has("_generate_cache_key")),
    ("SQLAlchemy building the statement (select/where/values)", _has(path="app/adapters/sql/adapter.py")),
    ("pydantic: request validation (body, query, path)", _has("request_params_to_args")),
    ("pydantic: request body validation", _has("_validate_value_with_model_field")),
    ("pydantic: response_model re-validating and serialising the row", _has("serialize_response")),
    ("controller built per request (BaseController.__init__)", _has("BaseController.__init__")),
    ("dependency-injector code (wiring, providers)", _has(path="dependency_injector/")),
    ("pool_pre_ping (CPU side of the extra round trips)", _has("_ping")),
    ("_bounded: asynccontextmanager + asyncio.timeout per adapter call", _bounded_wrapper),
)


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
        return "thread pool workers"
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
        samples[tuple(frames)] += int(count)
    return Profile(samples)
