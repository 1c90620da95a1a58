from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from app.main import create_app
from tests.support import served
from tests.support.service import container, settings

EXPECTED = {
    ("post", "/{r}"): {"201", "400", "409", "413", "415", "422", "500", "503"},
    ("get", "/{r}"): {"200", "422", "500", "503"},
    ("get", "/{r}/{id}"): {"200", "304", "400", "404", "422", "500", "503"},
    ("put", "/{r}/{id}"): {"200", "400", "404", "409", "412", "413", "415", "422", "500", "503"},
    ("patch", "/{r}/{id}"): {"200", "400", "404", "409", "412", "413", "415", "422", "500", "503"},
    ("delete", "/{r}/{id}"): {"204", "400", "404", "412", "422", "500", "503"},
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("openapi") / "app.db"
    document: dict[str, Any] = create_app(container(settings(DB_NAME=str(path)))).openapi()
    return document


@pytest.mark.parametrize("resource", [resource.name for resource in served.resources()])
def test_every_route_declares_each_status_it_can_return(schema: dict[str, Any], resource: str) -> None:
    for (method, template), statuses in EXPECTED.items():
        path = template.replace("{r}", resource)
        responses = schema["paths"][path][method]["responses"]
        assert set(responses) == statuses, (method, path)
        for status, response in responses.items():
            if int(status) >= 400:
                content = response["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                expected = "ValidationProblem" if status == "422" else "Problem"
                assert content["application/problem+json"]["schema"]["$ref"].endswith(f"/{expected}")
        assert "Retry-After" in responses["503"]["headers"]
        if method in ("post", "put", "patch") or (template.endswith("{id}") and method == "get"):
            success = responses["201" if method == "post" else "200"]
            assert "ETag" in success["headers"], (method, path)
        if method in ("put", "patch", "delete"):
            parameters = {p["name"]: p["in"] for p in schema["paths"][path][method]["parameters"]}
            assert parameters["if-match"] == "header"
    assert "Location" in schema["paths"][f"/{resource}"]["post"]["responses"]["201"]["headers"]


def test_list_parameters_are_documented(schema: dict[str, Any]) -> None:
    parameters = {p["name"] for p in schema["paths"]["/events"]["get"]["parameters"]}

    assert parameters == {
        "limit",
        "offset",
        "sort",
        "allow_partial",
        "type",
        "user_id",
        "product_id",
        "expand",
        "expand_strict",
    }


def test_expansion_is_documented_on_the_read_routes_of_a_resource_with_relations(
    schema: dict[str, Any],
) -> None:
    components = schema["components"]["schemas"]
    expanded = components["EventExpanded"]["properties"]
    page_items = components["EventExpandedPage"]["properties"]["items"]["items"]["$ref"]

    assert page_items.endswith("/EventExpanded")
    assert {option.get("$ref", "").rsplit("/", 1)[-1] for option in expanded["user"]["anyOf"]} == {"User", ""}
    assert {option.get("$ref", "").rsplit("/", 1)[-1] for option in expanded["product"]["anyOf"]} == {
        "Product",
        "",
    }
    assert "user" not in components["EventExpanded"].get("required", [])
    for path in ("/events", "/events/{id}"):
        operation = schema["paths"][path]["get"]
        assert {"expand", "expand_strict"} <= {p["name"] for p in operation["parameters"]}
        assert "X-Expand-Failed" in operation["responses"]["200"]["headers"]
    assert "expand" not in {p["name"] for p in schema["paths"]["/users/{id}"]["get"].get("parameters", [])}


def test_prices_are_strings_on_output_and_strings_or_numbers_on_input(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    output_price = components["Product"]["properties"]["price"]
    input_types = {
        option.get("type") for option in components["ProductCreate"]["properties"]["price"]["anyOf"]
    }

    assert output_price["type"] == "string"
    assert input_types == {"number", "string"}


def test_health_is_documented_with_its_503(schema: dict[str, Any]) -> None:
    responses = schema["paths"]["/health"]["get"]["responses"]

    assert set(responses) == {"200", "503"}
    assert responses["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/HealthReport")
    assert "Retry-After" in responses["503"]["headers"]


OPERATIONS = {
    ("post", ""): ("create_{one}", "Create {a} {one}"),
    ("get", ""): ("list_{many}", "List {many}"),
    ("get", "/{id}"): ("get_{one}", "Get {a} {one}"),
    ("put", "/{id}"): ("replace_{one}", "Replace {a} {one}"),
    ("patch", "/{id}"): ("update_{one}", "Update {a} {one}"),
    ("delete", "/{id}"): ("delete_{one}", "Delete {a} {one}"),
}


@pytest.mark.parametrize(
    ("many", "one", "a", "database"),
    [("users", "user", "a", "users_db"), ("products", "product", "a", "products_db"),
     ("events", "event", "an", "analytics_db")],
)  # fmt: skip
def test_operations_are_named_for_generated_clients_and_described(
    schema: dict[str, Any], many: str, one: str, a: str, database: str
) -> None:
    for (method, suffix), (operation_id, summary) in OPERATIONS.items():
        operation = schema["paths"][f"/{many}{suffix}"][method]
        names = {"many": many, "one": one, "a": a}
        assert operation["operationId"] == operation_id.format(**names)
        assert operation["summary"] == summary.format(**names)
        description = operation["description"]
        assert f"`{database}`" in description  # which database serves it
        assert "503 with `Retry-After`" in description
        # 400 and 413 are every body's (the document describes them); a 409 needs a unique field.
        exempt = {"400", "413"} | ({"409"} if many == "events" else set())
        for status in {status for status in operation["responses"] if status[0] == "4"} - exempt:
            assert status in description, (operation_id, status)


def test_every_model_and_every_problem_has_an_example_that_matches_its_schema(schema: dict[str, Any]) -> None:
    def check(example: Any, reference: dict[str, Any]) -> None:
        jsonschema_rs.Draft202012Validator({**reference, "components": schema["components"]}).validate(
            example
        )

    for name, component in schema["components"]["schemas"].items():
        if name in ("HTTPValidationError", "ValidationError", "SortKey") or "enum" in component:
            continue
        examples = component.get("examples")
        assert examples, name
        for example in examples:
            check(example, {"$ref": f"#/components/schemas/{name}"})
    for operations in schema["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                for media, content in response.get("content", {}).items():
                    if media == "application/problem+json":
                        assert "example" in content, (operation["operationId"], status)
                        check(content["example"], content["schema"])
                        assert content["example"]["status"] == int(status)


@pytest.mark.parametrize("resource", [resource.name for resource in served.resources()])
def test_a_create_links_to_the_operations_on_the_row_it_made(schema: dict[str, Any], resource: str) -> None:
    links = schema["paths"][f"/{resource}"]["post"]["responses"]["201"]["links"]
    by_id = schema["paths"][f"/{resource}/{{id}}"]
    assert {link["operationId"] for link in links.values()} == {op["operationId"] for op in by_id.values()}
    assert all(link["parameters"] == {"id": "$response.body#/id"} for link in links.values())
