"""The plans PostgreSQL picks for GET list: the service's query, compiled by its own code, and the
baseline's, each run under EXPLAIN ANALYZE on the seeded table."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from statistics import median

REPEATS = 7


@dataclass(frozen=True)
class Plan:
    label: str
    sql: str
    plan: str  # the plan's first lines
    milliseconds: float  # median execution time


def service_list_sql() -> str:
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql

    from app.adapters.sql.dialects import order_by
    from app.models.products import products_table as table

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    # As SQLAdapter._list builds it for the default sort: created_at, then id.
    keys = (order_by(table.c[name], False, dialect) for name in ("created_at", "id"))
    statement = select(table).order_by(*keys).limit(20).offset(0)
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def baseline_list_sql() -> str:
    from bench.baseline.postgres import COLUMNS

    return f"SELECT {COLUMNS} FROM products ORDER BY created_at, id LIMIT 20 OFFSET 0"


async def _explain(url: str, label: str, sql: str) -> Plan:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        timings, lines = [], []
        for _ in range(REPEATS):
            rows = await connection.fetch(f"EXPLAIN (ANALYZE, TIMING OFF) {sql}")
            lines = [row[0] for row in rows]
            timings.append(float(lines[-1].split(":")[1].split()[0]))
    finally:
        await connection.close()
    shown = [
        re.sub(r"\s*\((cost|actual)[^)]*\)", "", line).strip(" ->")
        for line in lines
        if not line.startswith(("Planning", "Execution"))
    ][:4]
    return Plan(label, " ".join(sql.split()), " / ".join(shown), median(timings))


def explain(url: str) -> list[Plan]:
    queries = (
        ("service: the page", service_list_sql()),
        ("baseline: the page", baseline_list_sql()),
        ("both: the total", "SELECT count(*) FROM products"),
    )
    return [asyncio.run(_explain(url, label, sql)) for label, sql in queries]


def table(plans: list[Plan]) -> str:
    lines = ["| query | execution ms (median of 7) | plan | SQL |", "|---|---:|---|---|"]
    for plan in plans:
        sql = plan.sql.replace("|", "\\|")
        lines.append(f"| {plan.label} | {plan.milliseconds:.2f} | {plan.plan} | `{sql}` |")
    return "\n".join(lines) + "\n"
