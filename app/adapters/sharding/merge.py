"""One page out of the pages of several shards, as one database would have answered.

Every backend of this service compares the same way (app/models/columns.py and
dialects.py): strings by code point (binary collations), nulls as the smallest value,
UUIDs by their bytes, timestamps to the millisecond, money as exact decimals. Python
compares these values the same way, so a merge by Python's ordering is the databases'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cmp_to_key
from typing import Any

from app.adapters.interface import Page, Row
from app.errors import Invalid
from app.models.base import SortKey

# The deepest row a fanned-out list reaches (offset + limit), like Elasticsearch's
# max_result_window: each shard is asked for that many rows from its first one.
MAX_WINDOW = 10_000


def check_window(offset: int, limit: int) -> None:
    if offset + limit > MAX_WINDOW:
        raise Invalid(
            f"offset + limit may not exceed {MAX_WINDOW} on a sharded list; "
            "narrow the list with a filter or a sort instead of paging deeper"
        )


def _compare(a: Any, b: Any) -> int:
    if a is None or b is None:  # nulls are the smallest value, as on every backend here
        return (a is not None) - (b is not None)
    return int(a > b) - int(a < b)


def merged(pages: Sequence[Page], sort: Sequence[SortKey], offset: int, limit: int) -> Page:
    """`pages` each hold a shard's first offset+limit rows in `sort` order."""

    def compare(a: Row, b: Row) -> int:
        for key in sort:
            order = _compare(a.get(key.field), b.get(key.field))
            if order:
                return -order if key.descending else order
        return 0

    rows = sorted(_once(row for page in pages for row in page.items), key=cmp_to_key(compare))
    return Page(items=rows[offset : offset + limit], total=sum(page.total for page in pages))


def _once(rows: Iterable[Row]) -> list[Row]:
    """Each id once, its newest version: a row caught mid-move is on two shards. The
    items stay exact (on its shard, every row ahead of one is ahead of it in the merge
    too); only `total` counts it twice, as the shards do."""
    seen: dict[Any, Row] = {}
    for row in rows:
        known = seen.get(row["id"])
        if known is None or row.get("version", 0) > known.get("version", 0):
            seen[row["id"]] = row
    return list(seen.values())
