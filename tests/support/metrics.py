"""What /metrics says, read with prometheus-client's own parser."""

from __future__ import annotations

import math
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    def value(self, name: str, **labels: str) -> float:
        """The sample `name` with exactly these labels; 0 when there is none (not yet counted)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def matching(self, name: str, **labels: str) -> dict[frozenset[tuple[str, str]], float]:
        """Every sample `name` whose labels include these."""
        wanted = set(labels.items())
        return {
            key: value for (sample, key), value in self.samples.items() if sample == name and wanted <= key
        }

    def names(self) -> set[str]:
        return {name for name, _ in self.samples}

    def is_nan(self, name: str, **labels: str) -> bool:
        return math.isnan(self.samples[(name, frozenset(labels.items()))])


def parse(text: str) -> Scrape:
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return Scrape(samples)


async def scrape(client: httpx.AsyncClient, **headers: str) -> Scrape:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)
