"""The API fuzzed from its own OpenAPI document by schemathesis, against a real
`python -m app` on SQLite, PostgreSQL, MariaDB and MongoDB (all three resources on
the one backend, API keys on): valid and invalid requests alike never get a 5xx,
and every answer matches the documented status codes, content types, headers and
schemas. The budget is FUZZ_MAX_EXAMPLES examples per operation (default below);
generation is derandomized, so CI runs the same cases every time.

Then schemathesis's own run, with all its phases, the stateful one included: it chains
a create to the reads, writes and delete of the row it made through the document's links.

Not covered by the fuzzer (see the explicit cases in tests/contract/test_hostile_input.py
and tests/test_access.py): bodies over MAX_BODY_BYTES, requests without or with a
read-only key.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import make_url

from app.api.routes import routers
from tests.conftest import backend_database
from tests.support import backends, served
from tests.support import service as built
from tests.support.process import Service, service_environment

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
# schemathesis's own run, all phases: its time budget per backend, and its seed.
PHASES_SECONDS = int(os.environ.get("FUZZ_PHASES_SECONDS", "20"))
PHASES_SEED = int(os.environ.get("FUZZ_SEED", "2026"))
BACKENDS = ("sqlite", "postgres", "mysql", "mongodb")
NAMES = served.databases()
KEY = "fuzz-key-Zq9xW-0123456789"
READ_ONLY_KEY = "fuzz-ro-key-Zq9xW-0123456789"
PASSWORD = "fuzz-Sup3r-S3cret-Zq9xW"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# One row of each resource, so that reads and writes by id reach a row that exists.
SEEDS = {resource.name: served.body(resource, 0) for resource in served.resources()}


@dataclass
class Fuzzed:
    backend: str
    service: Service
    ids: dict[str, str] = field(default_factory=dict)
    answers: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.service.base_url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {KEY}"}


def _environment(request: pytest.FixtureRequest, backend: str, directory: Path) -> dict[str, str]:
    (directory / "keys").write_text(f"{KEY}\nro:{READ_ONLY_KEY}\n")
    values = {
        "DB_TYPE": "sqlite",
        "DB_NAME": str(directory / "primary.db"),
        "AUTO_MIGRATE": "true",
        "API_KEYS_FILE": str(directory / "keys"),
        "LOG_LEVEL": "DEBUG",
    }
    for name in NAMES:
        config = backend_database(request, backend, f"fuzz-{name}")
        if backend == "postgres":  # by its fields, the password from a file (trust auth ignores it)
            url = make_url(config.pop("CONNECTION_STRING"))
            (directory / "password").write_text(PASSWORD + "\n")
            config.update(
                DB_HOST=url.host,
                DB_PORT=url.port or 5432,
                DB_USER=url.username,
                DB_NAME=url.database,
                DB_PASSWORD_FILE=str(directory / "password"),
            )
        values.update({f"DATABASES__{name}__{field}": str(value) for field, value in config.items()})
    return service_environment(**values)


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    directory = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    service = Service(_environment(request, request.param, directory), directory)
    try:
        backends.run(service.wait_until_serving())
        fuzzed = Fuzzed(request.param, service)
        with httpx.Client(base_url=fuzzed.base_url, headers=fuzzed.auth) as client:
            for resource, body in SEEDS.items():
                fuzzed.ids[resource] = client.post(f"/{resource}", json=body).raise_for_status().json()["id"]
        yield fuzzed
    finally:
        backends.run(service.stop())


@pytest.fixture(scope="module")
def fuzz_schema(fuzzed: Fuzzed) -> Any:
    """The document as the running service serves it (with its key)."""
    schema = schemathesis.openapi.from_url(f"{fuzzed.base_url}/openapi.json", headers=fuzzed.auth)
    # The key is sent with every case; wrong and missing keys are tests/test_access.py's.
    schema.config.generation.update(with_security_parameters=False)
    return schema


# Every operation the service routes, known from its container without building an app.
# (schemathesis's own pytest integration, schema.parametrize, does not load under pytest 9.)
OPERATIONS = sorted(
    (method, route.path)
    for router in routers(built.container(built.settings(DB_TYPE="memory")))
    for route in router.routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_5xx_and_every_answer_as_documented(
    fuzz_schema: Any, fuzzed: Fuzzed, method: str, path: str
) -> None:
    operation = fuzz_schema[path][method]
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(mode) for mode in modes]
    if "{id}" in path and method != "DELETE":  # a seeded row too; deleting it would leave the others none
        seeded = {"id": fuzzed.ids[path.split("/")[1]]}
        strategies += [operation.as_strategy(mode, path_parameters=seeded) for mode in modes]
    cases: st.SearchStrategy[Any] = st.one_of(*strategies)

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        response = case.call(base_url=fuzzed.base_url, headers=fuzzed.auth, timeout=30)
        fuzzed.answers.append(f"{response.status_code} {dict(response.headers)} {response.text}")
        case.validate_response(response, checks=CHECKS, headers=fuzzed.auth)

    fuzz()


def test_every_phase_of_schemathesis_finds_no_5xx_and_no_violation(
    fuzzed: Fuzzed, tmp_path: Path, figure: Callable[[str], None]
) -> None:
    """schemathesis's own run, with its default phases: the document's examples, its
    coverage of each schema's edges, fuzzing, and the stateful phase, which follows the
    document's links from each create to the reads, writes and delete of the row it made
    (and checks that a created row can be read and a deleted one is gone). Every check,
    but `positive_data_acceptance`: the service refuses, with 422 or 412, some values
    that JSON Schema cannot describe (a field named twice in `sort`, an If-Match of
    another version, an email domain reserved for tests), and that is no violation."""
    argv = [
        str(Path(sys.executable).with_name("schemathesis")), "run", f"{fuzzed.base_url}/openapi.json",
        "--header", f"Authorization: Bearer {KEY}", "--seed", str(PHASES_SEED),
        "--max-time", str(PHASES_SECONDS), "--workers", "1", "--request-timeout", "30",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "--generation-database", "none", "--generation-with-security-parameters", "false",
    ]  # fmt: skip
    # Run elsewhere than the checkout: schemathesis keeps a cache in its working directory.
    done = subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=PHASES_SECONDS * 6, check=False
    )
    said = done.stdout[-6000:]
    assert done.returncode == 0, said
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in done.stdout, said
    summary = next(line for line in done.stdout.splitlines() if " generated, " in line).strip()
    assert KEY not in done.stdout
    figure(f"{fuzzed.backend}: schemathesis, every phase (seed {PHASES_SEED}, {PHASES_SECONDS} s): {summary}")


def test_no_answer_or_log_line_of_the_fuzzing_shows_a_secret(
    fuzzed: Fuzzed, figure: Callable[[str], None]
) -> None:
    assert fuzzed.answers, "the fuzzing sent nothing"
    output = fuzzed.service.output()
    assert "/products" in output  # requests were logged, at DEBUG level
    for secret in (KEY, READ_ONLY_KEY, PASSWORD):
        assert secret not in output
        assert not any(secret in answer for answer in fuzzed.answers)
    statuses = Counter(answer.split(" ", 1)[0] for answer in fuzzed.answers)
    figure(
        f"{fuzzed.backend}: {len(fuzzed.answers)} generated requests over {len(OPERATIONS)} operations, "
        f"answers {dict(sorted(statuses.items()))}, 0 x 5xx, 0 secrets in answers or logs"
    )
