"""The HTML of /status: one page, no script and nothing from another host, refreshed by
the browser itself (<meta http-equiv="refresh">), its style inline and allowed by its hash
in the page's Content-Security-Policy. Cards that wrap on a phone's width; tables scroll
sideways rather than squeeze."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from app.adapters.interface import PoolUse
from app.controllers.health import DatabaseHealth
from containers.routing import RouteRow

REFRESH_SECONDS = 5
STYLE = """
:root{color-scheme:light dark;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--line:#8884}
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:12px;max-width:1100px}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:1.2em 0 .4em}h3{font-size:1em;margin:0 0 .4em}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:10px}
.card{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:8px 10px}
.card.up,.state.up,.state.ok{border-color:var(--ok)}.card.down,.state.down,.state.degraded{border-color:var(--bad)}
.card.schema_behind,.state.schema_behind,.state.lagging{border-color:var(--warn)}
.state{display:inline-block;border:2px solid var(--line);border-radius:9px;padding:0 7px;font-weight:600}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:0}
dt{opacity:.7}dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
.muted{opacity:.7}
"""
CSP = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class DatabaseView:
    name: str
    health: DatabaseHealth
    where: str
    pool: PoolUse | None
    falls_back: bool  # a name nothing configures, served by the primary


@dataclass(frozen=True)
class CompositeView:
    name: str
    kind: str  # sharded, tenant-selected
    members: Sequence[tuple[str, str]]  # (shard or tenant, the named database)


@dataclass(frozen=True)
class StatusView:
    overall: str  # ok, degraded
    checked_at: datetime
    routes: Sequence[RouteRow]
    databases: Sequence[DatabaseView]
    composites: Sequence[CompositeView]


def render(view: StatusView, title: str) -> str:
    states = {database.name: database.health.status for database in view.databases}
    when = view.checked_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>{escape(title)} status: {view.overall}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{escape(title)} <span class="state {view.overall}" id="overall">{view.overall}</span></h1>
<p class="muted">Checked {when}; this page refreshes every {REFRESH_SECONDS} s.</p>
</header>
<main>
<h2>Databases</h2>
<div class="cards">
{"".join(_database(database) for database in view.databases)}
</div>
{_composites(view.composites, states)}
<h2>Routes</h2>
<div class="scroll"><table id="routes">
<tr><th>route</th><th>database</th><th>type, host, database</th></tr>
{"".join(_route(route) for route in view.routes)}
</table></div>
</main>
</body>
</html>
"""


def _database(database: DatabaseView) -> str:
    health = database.health
    rows = [
        ("type", health.type),
        ("where", database.where),
        ("last ping", f"{health.latency_ms:g} ms"),
        ("pool", _pool(database.pool)),
    ]
    if database.falls_back:
        rows.append(("configured", "not configured: the primary (default) serves it"))
    if health.reason:
        rows.append(("why", health.reason))
    replicas = ""
    if health.replicas is not None:
        lines = "".join(
            f'<tr data-replica="{escape(replica.name)}"><td>{escape(replica.name)}</td>'
            f'<td><span class="state {replica.status}">{replica.status}</span></td>'
            f"<td>{_lag(replica.lag_ms)}</td></tr>"
            for replica in health.replicas
        )
        heading = "<tr><th>replica</th><th>state</th><th>lag</th></tr>"
        replicas = f'<div class="scroll"><table>{heading}{lines}</table></div>'
    name = escape(database.name)
    return (
        f'<section class="card {health.status}" data-database="{name}" data-state="{health.status}">'
        f'<h3>{name} <span class="state {health.status}">{health.status.replace("_", " ")}</span></h3>'
        f"<dl>{_pairs(rows)}</dl>{replicas}</section>\n"
    )


def _composites(composites: Iterable[CompositeView], states: Mapping[str, str]) -> str:
    cards = []
    for composite in composites:
        members = "".join(
            _member(key, member, states.get(member, "down")) for key, member in composite.members
        )
        heading = "shard" if composite.kind == "sharded" else "tenant"
        cards.append(
            f'<section class="card" data-composite="{escape(composite.name)}">'
            f'<h3>{escape(composite.name)} <span class="muted">{escape(composite.kind)}</span></h3>'
            f'<div class="scroll"><table><tr><th>{heading}</th><th>database</th><th>state</th></tr>'
            f"{members}</table></div></section>\n"
        )
    if not cards:
        return ""
    return f'<h2>Shards and tenants</h2>\n<div class="cards">\n{"".join(cards)}</div>'


def _member(key: str, member: str, state: str) -> str:
    return (
        f'<tr data-member="{escape(member)}" data-state="{state}"><td>{escape(key)}</td>'
        f'<td>{escape(member)}</td><td><span class="state {state}">{state}</span></td></tr>'
    )


def _route(route: RouteRow) -> str:
    fallback = (
        ' <span class="muted">(not configured: falls back to default)</span>' if route.falls_back else ""
    )
    return (
        f'<tr data-route="/{escape(route.resource)}"><td>/{escape(route.resource)}</td>'
        f"<td>{escape(route.database)}{fallback}</td><td>{escape(route.where)}</td></tr>\n"
    )


def _pairs(rows: Iterable[tuple[str, str]]) -> str:
    return "".join(f"<dt>{escape(term)}</dt><dd>{escape(value)}</dd>" for term, value in rows)


def _pool(pool: PoolUse | None) -> str:
    if pool is None:
        return "held by the driver (not counted here)"
    return f"{pool.in_use} of {pool.size} in use, {pool.waiting} waiting"


def _lag(lag_ms: float | None) -> str:
    return "not measured" if lag_ms is None else f"{lag_ms / 1000:.3f} s"
