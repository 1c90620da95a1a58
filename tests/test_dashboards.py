"""docker/: the Grafana dashboard asks only for metrics the service exports, one row per
database, and Prometheus scrapes the path and port the service serves them on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families as parse_families

from app.api.routes.metrics import PATH
from tests.support.service import container, serve, settings

ROOT = Path(__file__).parents[1]
DASHBOARD = json.loads((ROOT / "docker/grafana/dashboards/multidb.json").read_text())
SCRAPE = yaml.safe_load((ROOT / "docker/prometheus.yml").read_text())
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# A metric name in PromQL, as this dashboard writes one: followed by its label matchers.
SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def panels(within: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in within:
        yield panel
        yield from panels(panel.get("panels", []))


def queries() -> list[str]:
    found = [target["expr"] for panel in panels(DASHBOARD["panels"]) for target in panel.get("targets", [])]
    found += [variable["definition"] for variable in DASHBOARD["templating"]["list"]]
    return found


async def exported() -> set[str]:
    """Every series name the service's /metrics can carry: each family and its suffixes."""
    async with serve(container(settings(DB_TYPE="memory"))) as client:
        text = (await client.get(PATH)).text
    families = {family.name for family in parse_families(text)}
    return families | {family + suffix for family in families for suffix in SUFFIXES}


async def test_every_query_of_the_dashboard_names_an_exported_metric() -> None:
    names = await exported()
    asked = {
        name
        for query in queries()
        for name in SELECTOR.findall(query) + re.findall(r"label_values\((\w+)", query)
    }
    assert asked, "no metric found in the dashboard's queries"
    assert sorted(asked - names) == []
    # And every database metric of the service is on it.
    families = {name for name in names if name.startswith("multidb_db_") and not name.endswith(SUFFIXES)}
    shown = {family for family in families for name in asked if name.startswith(family)}
    assert sorted(families - shown) == []


def test_one_row_per_database_and_each_row_asks_for_its_database() -> None:
    (row,) = [panel for panel in DASHBOARD["panels"] if panel.get("repeat") == "database"]
    in_row = [panel for panel in DASHBOARD["panels"] if panel["gridPos"]["y"] > row["gridPos"]["y"]]
    titles = {panel["title"] for panel in in_row}
    assert {"Latency p99 by operation", "Errors/s by kind", "Pool", "Available", "Replica lag"} <= titles
    for panel in in_row:
        for target in panel["targets"]:
            assert 'database="$database"' in target["expr"], (panel["title"], target["expr"])


def test_prometheus_scrapes_the_service_where_it_serves_metrics() -> None:
    (job,) = SCRAPE["scrape_configs"]
    assert job["metrics_path"] == PATH
    (discovery,) = job["dns_sd_configs"]
    assert discovery["names"] == ["app"]  # every container of the app service
    assert str(discovery["port"]) in COMPOSE["services"]["app"]["expose"]
    for name in ("prometheus", "grafana"):
        assert COMPOSE["services"][name]["profiles"] == ["observability"]
    mounts = " ".join(
        COMPOSE["services"]["prometheus"]["volumes"] + COMPOSE["services"]["grafana"]["volumes"]
    )
    for path in ("docker/prometheus.yml", "docker/grafana/provisioning", "docker/grafana/dashboards"):
        assert f"./{path}:" in mounts
        assert (ROOT / path).exists()
