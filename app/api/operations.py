"""How each of a resource's six operations is named and described in the OpenAPI document:
operationIds that read well in a generated client (`list_users`, `get_user`), a summary,
and a paragraph saying what it does, which database serves it, and how it fails."""

from __future__ import annotations

from typing import Any

from app.models.resource import Resource

KINDS = ("create", "list", "get", "replace", "update", "delete")


def operation_docs(resource: Resource, database: str | None) -> dict[str, dict[str, Any]]:
    """FastAPI route keywords (operation_id, summary, description) for each of `KINDS`."""
    many, one = resource.name, resource.singular
    a = "an" if one[:1] in "aeio" else "a"  # "a user", "an event"
    named = f"`{database}`" if database else "its database"
    served = f"Served by the database named {named} (which one it is, `/health` says)."
    unavailable = f"503 with `Retry-After` while {named} is unavailable."
    unique = ", ".join(f"`{field}`" for field in resource.unique)
    conflict = f"409 when {unique} is already taken by another {one}; " if unique else ""
    if_match = (
        f'With `If-Match: "<etag>"` it applies only to that version of the {one}, '
        "and answers 412 changing nothing when someone else wrote first."
    )
    filters = ", ".join(f"`{field}`" for field in resource.filterable) or "none"
    docs = {
        "list": (
            f"List {many}",
            f"A page of {many} (`limit`, `offset`), oldest first unless `sort` says otherwise, "
            f"ties broken by `id`; equality filters: {filters}. {served} "
            f"Answers 422 for a bad `limit`, `offset` or `sort` and for an unknown parameter; {unavailable}",
        ),
        "create": (
            f"Create {a} {one}",
            f"Stores a new {one} and answers 201 with it, its path in `Location` and its version "
            f"in `ETag`; `id`, `created_at` and `updated_at` are the service's. {served} "
            f"Answers {conflict}415 for a body that is not JSON; 422 for an invalid or unknown "
            f"field; {unavailable}",
        ),
        "get": (
            f"Get {a} {one}",
            f"The {one} with this id, its version in `ETag` (for `If-Match`; with `If-None-Match` "
            f"naming it, 304 and no body). {served} Answers 404 when no {one} has this id; 422 "
            f"when the id is not a UUID; {unavailable}",
        ),
        "replace": (
            f"Replace {a} {one}",
            f"Sets every writable field of the {one}; an omitted field takes its default. {if_match} "
            f"{served} Answers 404 when no {one} has this id; {conflict}412 as above; 415 for a "
            f"body that is not JSON; 422 for an invalid or unknown field; {unavailable}",
        ),
        "update": (
            f"Update {a} {one}",
            f"Sets only the fields named in the body, so two updates of different fields both "
            f"persist. {if_match} {served} Answers 404 when no {one} has this id; {conflict}412 as "
            f"above; 415 for a body that is not JSON; 422 for an invalid or unknown field, or "
            f"`null` for one that cannot be null; {unavailable}",
        ),
        "delete": (
            f"Delete {a} {one}",
            f"Removes the {one} and answers 204. {if_match} {served} Answers 404 when no {one} has "
            f"this id; 412 as above; 422 when the id is not a UUID; {unavailable}",
        ),
    }
    return {
        kind: {
            "operation_id": f"{kind}_{many if kind == 'list' else one}",
            "summary": summary,
            "description": description,
        }
        for kind, (summary, description) in docs.items()
    }
