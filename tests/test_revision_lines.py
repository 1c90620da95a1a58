"""The service reads each resource's line of SQL revisions without Alembic
(app/adapters/sql/revisions.py): it must read the same lines, in the same order, as
Alembic, which applies them."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from app.adapters.sql.revisions import SCRIPTS, RevisionLines
from app.models.resource import Resource
from tests.support import served


def alembic_line(scripts: Path, name: str) -> list[str]:
    directory = ScriptDirectory(str(scripts))
    return [revision.revision for revision in directory.iterate_revisions(f"{name}@head", "base")]


@pytest.mark.parametrize("resource", served.resources(), ids=lambda resource: resource.name)
def test_each_resource_line_is_alembic_line(resource: Resource) -> None:
    assert RevisionLines().line(resource.name) == alembic_line(SCRIPTS, resource.name)


def revision_file(versions: Path, revision: str, down: str | None, label: str | None, typed: bool) -> None:
    annotation = ": str | None" if typed else ""
    labels = repr((label,)) if label else "None"
    (versions / f"{revision}_step.py").write_text(
        f'"""Step {revision}."""\n\n'
        "from alembic import op\n\n"
        f"revision{annotation} = {revision!r}\n"
        f"down_revision{annotation} = {down!r}\n"
        f"branch_labels = {labels}\n"
        "depends_on = None\n\n\n"
        "def upgrade() -> None:\n    op.execute('SELECT 1')\n"
    )


def test_lines_of_several_revisions_read_as_alembic_reads_them(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    revision_file(versions, "orders_0001", None, "orders", typed=False)
    revision_file(versions, "orders_0002", "orders_0001", None, typed=True)
    revision_file(versions, "orders_0003", "orders_0002", None, typed=False)
    revision_file(versions, "carts_0001", None, "carts", typed=True)

    lines = RevisionLines(versions)

    for name in ("orders", "carts"):
        assert lines.line(name) == alembic_line(tmp_path, name)
    assert lines.line("orders") == ["orders_0003", "orders_0002", "orders_0001"]
    assert lines.line("wishlists") == []
