"""Request validation from the OpenAPI contract that ships in the zip.

``openapi.json`` is generated from ``contracts/openapi.yaml`` (``make contract``;
a test fails when it is stale), so the schemas here are the contract's own and
JSON keeps PyYAML out of the Lambda. OpenAPI 3.0 schemas are turned into JSON
Schema (``$ref`` inlined, ``nullable`` as a ``null`` type) and compiled once
per execution environment with fastjsonschema: pure Python, small, and fast
after compilation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import fastjsonschema

from chalicelib.errors import ValidationError
from chalicelib.timefmt import is_rfc3339

CONTRACT_PATH = Path(__file__).with_name("openapi.json")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_FORMATS: dict[str, Any] = {"date-time": is_rfc3339, "uuid": _UUID.pattern}


class Operation(NamedTuple):
    method: str
    path: str
    operation_id: str
    api_key_required: bool


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    with CONTRACT_PATH.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def operations() -> Iterator[Operation]:
    doc = document()
    default_security = doc.get("security", [])
    for path, item in doc["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                security = op.get("security", default_security)
                yield Operation(method.upper(), path, op["operationId"], bool(security))


def _resolve(node: Any, components: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolve(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _resolve(components[name], components)
    resolved = {key: _resolve(value, components) for key, value in node.items() if key not in ("example", "nullable")}
    if node.get("nullable") and "type" in resolved:
        resolved["type"] = [resolved["type"], "null"]
    return resolved


@cache
def json_schema(name: str) -> dict[str, Any]:
    """The named component schema as a self-contained JSON Schema."""
    components = document()["components"]["schemas"]
    resolved: dict[str, Any] = _resolve(components[name], components)
    return resolved


def parameter_schema(operation_id: str, name: str) -> dict[str, Any]:
    """The JSON Schema of one parameter of one operation, as the contract declares it."""
    doc = document()
    components = doc["components"]
    for op in operations():
        if op.operation_id != operation_id:
            continue
        for declared in doc["paths"][op.path][op.method.lower()].get("parameters", []):
            param = components["parameters"][declared["$ref"].rsplit("/", 1)[-1]] if "$ref" in declared else declared
            if param["name"] == name:
                schema: dict[str, Any] = _resolve(param["schema"], components["schemas"])
                return schema
    raise KeyError(f"{operation_id} has no parameter {name!r}")


@cache
def _compiled(name: str) -> Callable[[Any], Any]:
    return fastjsonschema.compile(json_schema(name), formats=_FORMATS)


@cache
def _compiled_parameter(operation_id: str, name: str) -> Callable[[Any], Any]:
    return fastjsonschema.compile(parameter_schema(operation_id, name), formats=_FORMATS)


def _check(validate: Callable[[Any], Any], value: Any, label: str) -> None:
    try:
        validate(value)
    except fastjsonschema.JsonSchemaValueException as exc:
        # fastjsonschema names the root "data"; say where in the request it is.
        name = exc.name or "data"
        where = label + name[len("data") :] if name.startswith("data") else label
        message = exc.message.replace(name, where, 1) if name in exc.message else f"{where}: {exc.message}"
        raise ValidationError(message) from None


def validate_schema(name: str, value: Any, label: str = "body") -> None:
    """Raise ValidationError (400) unless value matches the contract schema ``name``."""
    _check(_compiled(name), value, label)


def validate_parameter(operation_id: str, name: str, value: Any) -> None:
    _check(_compiled_parameter(operation_id, name), value, name)
