"""Make moto's OpenAPI import (PutRestApi / ImportRestApi with a body) closer to API Gateway's.

moto 5.2.5 takes paths, methods, method responses and x-amazon-apigateway-integration
only, and treats every key under a path item as an HTTP method. This patch:

- passes moto only the operations of each path item, so path-level `parameters`,
  `summary`, `description`, `servers`, `$ref` and `x-` extensions no longer break
  the import, and maps `x-amazon-apigateway-any-method` to the ANY method;
- sets `apiKeyRequired` from the operation's effective `security` (its own, else the
  document's) when it names an `apiKey` scheme read from the `x-api-key` header;
- makes one COGNITO_USER_POOLS authorizer per security scheme carrying an
  `x-amazon-apigateway-authorizer` of type `cognito_user_pools` (named after the scheme, its
  identity source the scheme's header), and gives a method whose effective `security` names
  that scheme the authorizer and the scopes listed there; a scheme of
  `x-amazon-apigateway-authtype: awsSigv4` makes the method AWS_IAM (recorded, not enforced);
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
_AUTHORIZER_KEY = "x-amazon-apigateway-authorizer"
_AUTHTYPE_KEY = "x-amazon-apigateway-authtype"
USER_POOLS = "COGNITO_USER_POOLS"
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


def _security_schemes(api_doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    schemes = (api_doc.get("components") or {}).get("securitySchemes") or {}
    return {str(name): scheme for name, scheme in schemes.items() if isinstance(scheme, dict)}


def _api_key_schemes(api_doc: dict[str, Any]) -> set[str]:
    return {
        name
        for name, scheme in _security_schemes(api_doc).items()
        if scheme.get("type") == "apiKey"
        and scheme.get("in") == "header"
        and str(scheme.get("name", "")).lower() == "x-api-key"
    }


def _requirements(operation: dict[str, Any], api_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's effective security: its own, else the document's."""
    requirements = operation["security"] if "security" in operation else api_doc.get("security")
    return [r for r in requirements or [] if isinstance(r, dict)]


def requires_api_key(operation: dict[str, Any], api_doc: dict[str, Any], schemes: set[str]) -> bool:
    """True when the operation's effective security names an x-api-key header scheme."""
    return any(any(name in schemes for name in r) for r in _requirements(operation, api_doc))


def _user_pool_schemes(api_doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: scheme
        for name, scheme in _security_schemes(api_doc).items()
        if isinstance(scheme.get(_AUTHORIZER_KEY), dict)
        and str(scheme[_AUTHORIZER_KEY].get("type", "")).lower() == "cognito_user_pools"
    }


def _sync_authorizers(backend: APIGatewayBackend, api: RestAPI, api_doc: dict[str, Any], mode: str) -> dict[str, str]:
    """One user pool authorizer per scheme that declares one; returns scheme name -> authorizer id.

    An overwrite replaces the API's definition, authorizers included, as on AWS.
    """
    existing = {authorizer.name: authorizer for authorizer in api.authorizers.values()}
    ids = {}
    for name, scheme in _user_pool_schemes(api_doc).items():
        spec = scheme[_AUTHORIZER_KEY]
        arns = [str(arn) for arn in spec.get("providerARNs") or []]
        source = f"method.request.header.{scheme.get('name') or 'Authorization'}"
        authorizer = existing.get(name)
        if authorizer is None:
            authorizer = backend.create_authorizer(
                api.id, name, USER_POOLS, provider_arns=arns, auth_type="cognito_user_pools", identity_source=source
            )
        else:
            authorizer.type, authorizer.provider_arns, authorizer.identity_source = USER_POOLS, arns, source
        ids[name] = str(authorizer.id)
    if mode == "overwrite":
        for authorizer_id in [i for i, a in api.authorizers.items() if a.name not in ids]:
            del api.authorizers[authorizer_id]
    return ids


def authorization(
    requirements: list[dict[str, Any]], schemes: dict[str, dict[str, Any]], authorizer_ids: dict[str, str]
) -> tuple[str, str | None, list[str] | None]:
    """(authorizationType, authorizerId, authorizationScopes) of a method with these requirements.

    A method has one authorizer: the first requirement naming a user pool scheme gives it, with that
    requirement's scopes; else a SigV4 scheme makes it AWS_IAM; else it is NONE.
    """
    for requirement in requirements:
        for name, scopes in requirement.items():
            if name in authorizer_ids:
                listed = [str(scope) for scope in scopes or []]
                return USER_POOLS, authorizer_ids[name], listed or None
    for requirement in requirements:
        for name in requirement:
            if str(schemes.get(name, {}).get(_AUTHTYPE_KEY, "")).lower() == "awssigv4":
                return "AWS_IAM", None, None
    return "NONE", None, None


def _apply_security(api: RestAPI, api_doc: dict[str, Any], authorizer_ids: dict[str, str]) -> None:
    key_schemes = _api_key_schemes(api_doc)
    schemes = _security_schemes(api_doc)
    # Later resources win for a duplicated path, as the route table does.
    by_path = {path: api.resources[rid] for rid, path in resource_paths(api).items()}
    for path, item in (api_doc.get("paths") or {}).items():
        resource = by_path.get(path)
        if resource is None:
            continue
        for method_name, operation in _operations(item).items():
            method = resource.resource_methods.get(method_name)
            if method is not None:
                method.api_key_required = requires_api_key(operation, api_doc, key_schemes)
                method.authorization_type, method.authorizer_id, method.authorization_scopes = authorization(
                    _requirements(operation, api_doc), schemes, authorizer_ids
                )


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
        _apply_security(api, api_doc, _sync_authorizers(self, api, api_doc, mode))
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
