"""The contract is valid, shipped current, and the app serves exactly its operations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from openapi_spec_validator import validate

from chalicelib import contract

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contracts" / "openapi.yaml"


def test_contract_is_valid_openapi_3_0() -> None:
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.0.")
    validate(document)


def test_shipped_json_copy_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sync_contract.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_app_routes_are_exactly_the_contract_operations() -> None:
    import app

    served = {
        (method, path, entry.api_key_required)
        for path, methods in app.app.routes.items()
        for method, entry in methods.items()
    }
    declared = {(op.method, op.path, op.api_key_required) for op in contract.operations()}
    assert served == declared


def test_every_operation_documents_its_errors_with_the_one_error_schema() -> None:
    document = contract.document()
    shared = document["components"]["responses"]
    for op in contract.operations():
        responses = document["paths"][op.path][op.method.lower()]["responses"]
        for status, declared in responses.items():
            response = shared[declared["$ref"].rsplit("/", 1)[-1]] if "$ref" in declared else declared
            schema = response["content"]["application/json"]["schema"]
            if int(status) >= 400:
                assert schema == {"$ref": "#/components/schemas/Error"}, (op.operation_id, status)
        expected = {"400", "429", "500"} | ({"403"} if op.api_key_required else set())
        assert expected <= set(responses), (op.operation_id, expected - set(responses))


def test_post_links_to_the_reads() -> None:
    created = contract.document()["paths"]["/v1/events"]["post"]["responses"]["201"]["links"]
    targets = {
        contract.document()["components"]["links"][link["$ref"].rsplit("/", 1)[-1]]["operationId"]
        for link in created.values()
    }
    assert targets == {"getEvent", "listEvents", "getSubjectStats"}
