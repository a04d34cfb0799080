"""Make moto's OpenAPI import (PutRestApi / ImportRestApi with a body) closer to API Gateway's.

moto 5.2.5 takes paths, methods, method responses and x-amazon-apigateway-integration
only, and treats every key under a path item as an HTTP method. This patch:

- passes moto only the operations of each path item, so path-level `parameters`,
  `summary`, `description`, `servers`, `$ref` and `x-` extensions no longer break
  the import, and maps `x-amazon-apigateway-any-method` to the ANY method;
- sets `apiKeyRequired` from the operation's effective `security` (its own, else the
  document's) when it names an `apiKey` scheme read from the `x-api-key` header;
- applies `x-amazon-apigateway-gateway-responses`, `-binary-media-types` and
  `-api-key-source` from the body;
- lets ImportRestApi accept a document without `info.description`;
- keeps `rootResourceId` pointing at the "/" resource after an overwrite.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from localcloud.apigateway.routes import bump_generation, resource_paths
from localcloud.moto_patches.internals import APIGatewayBackend, RestAPI

_OPERATION_KEYS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_ANY_METHOD_KEY = "x-amazon-apigateway-any-method"
_PATCHED_MARK = "_localcloud_import_fidelity"


def _method_name(key: str) -> str | None:
    """The API Gateway method for a path-item key, or None when the key is not an operation."""
    lowered = key.lower()
    if lowered == _ANY_METHOD_KEY:
        return "ANY"
    return lowered.upper() if lowered in _OPERATION_KEYS else None


def _operations(path_item: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(path_item, dict):
        return {}
    found = {}
    for key, operation in path_item.items():
        method = _method_name(str(key))
        if method is not None and isinstance(operation, dict):
            found[method] = operation
    return found


def operations_only(api_doc: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy of the document whose path items hold only operations, keyed as moto expects."""
    paths = {
        path: {method.lower(): operation for method, operation in _operations(item).items()}
        for path, item in (api_doc.get("paths") or {}).items()
    }
    return {**api_doc, "paths": paths}


def _api_key_schemes(api_doc: dict[str, Any]) -> set[str]:
    schemes = (api_doc.get("components") or {}).get("securitySchemes") or {}
    return {
        name
        for name, scheme in schemes.items()
        if isinstance(scheme, dict)
        and scheme.get("type") == "apiKey"
        and scheme.get("in") == "header"
        and str(scheme.get("name", "")).lower() == "x-api-key"
    }


def requires_api_key(operation: dict[str, Any], api_doc: dict[str, Any], schemes: set[str]) -> bool:
    """True when the operation's effective security names an x-api-key header scheme."""
    requirements = operation["security"] if "security" in operation else api_doc.get("security")
    return any(
        isinstance(requirement, dict) and any(name in schemes for name in requirement)
        for requirement in requirements or []
    )


def _apply_api_key_requirements(api: RestAPI, api_doc: dict[str, Any]) -> None:
    schemes = _api_key_schemes(api_doc)
    # Later resources win for a duplicated path, as the route table does.
    by_path = {path: api.resources[rid] for rid, path in resource_paths(api).items()}
    for path, item in (api_doc.get("paths") or {}).items():
        resource = by_path.get(path)
        if resource is None:
            continue
        for method_name, operation in _operations(item).items():
            method = resource.resource_methods.get(method_name)
            if method is not None:
                method.api_key_required = requires_api_key(operation, api_doc, schemes)


def _apply_extensions(api: RestAPI, api_doc: dict[str, Any]) -> None:
    if isinstance(api_doc.get("x-amazon-apigateway-binary-media-types"), list):
        api.binaryMediaTypes = [str(t) for t in api_doc["x-amazon-apigateway-binary-media-types"]]
    if api_doc.get("x-amazon-apigateway-api-key-source"):
        api.api_key_source = str(api_doc["x-amazon-apigateway-api-key-source"])
    responses = api_doc.get("x-amazon-apigateway-gateway-responses") or {}
    for response_type, spec in responses.items():
        if isinstance(spec, dict):
            api.put_gateway_response(
                str(response_type),
                # moto stores what it is given; PutGatewayResponse passes the string form too.
                status_code=cast(int, spec.get("statusCode")),
                response_parameters=dict(spec.get("responseParameters") or {}),
                response_templates=dict(spec.get("responseTemplates") or {}),
            )


def _faithful_put(original: Callable[..., RestAPI]) -> Callable[..., RestAPI]:
    @functools.wraps(original)
    def put_rest_api(
        self: APIGatewayBackend,
        function_id: str,
        api_doc: dict[str, Any],
        fail_on_warnings: bool,
        mode: str = "merge",
    ) -> RestAPI:
        api = original(self, function_id, operations_only(api_doc), fail_on_warnings, mode)
        # Overwrite mode makes a new "/" resource but leaves rootResourceId on the deleted one.
        api.root_resource_id = api.default.id
        _apply_api_key_requirements(api, api_doc)
        _apply_extensions(api, api_doc)
        bump_generation()  # the changes above happen after moto's own call returned
        return api

    setattr(put_rest_api, _PATCHED_MARK, True)
    return put_rest_api


def _faithful_import(original: Callable[..., RestAPI]) -> Callable[..., RestAPI]:
    @functools.wraps(original)
    def import_rest_api(self: APIGatewayBackend, api_doc: dict[str, Any], fail_on_warnings: bool) -> RestAPI:
        # moto reads info.description unconditionally; OpenAPI makes it optional.
        info = {"description": "", **(api_doc.get("info") or {})}
        return original(self, {**api_doc, "info": info}, fail_on_warnings)

    setattr(import_rest_api, _PATCHED_MARK, True)
    return import_rest_api


def install_import_fidelity() -> None:
    """Patch moto's body import in this process (idempotent; call before serving)."""
    backend = APIGatewayBackend
    if not getattr(backend.put_rest_api, _PATCHED_MARK, False):
        backend.put_rest_api = _faithful_put(backend.put_rest_api)  # type: ignore[method-assign]
    if not getattr(backend.import_rest_api, _PATCHED_MARK, False):
        backend.import_rest_api = _faithful_import(backend.import_rest_api)  # type: ignore[method-assign]
