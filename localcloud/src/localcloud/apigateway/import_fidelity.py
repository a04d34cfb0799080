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
- keeps what request validation needs, as API Gateway does on import: a model per
  `components.schemas` entry (its `$ref`s to other schemas rewritten to model URLs), one
  for each inline request body schema, the `x-amazon-apigateway-request-validators`, and
  per method its validator (`x-amazon-apigateway-request-validator`, its own else the
  document's), its request parameters (path-level and its own, `$ref`s resolved, with
  whether each is required) and its request models by content type;
- lets ImportRestApi accept a document without `info.description`;
- keeps `rootResourceId` pointing at the "/" resource after an overwrite.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any, cast

from localcloud.apigateway.generation import bump_generation
from localcloud.apigateway.request_validation import model_url
from localcloud.apigateway.routes import resource_paths
from localcloud.moto_patches.internals import APIGatewayBackend, RestAPI, validate_openapi

_OPERATION_KEYS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_ANY_METHOD_KEY = "x-amazon-apigateway-any-method"
_AUTHORIZER_KEY = "x-amazon-apigateway-authorizer"
_AUTHTYPE_KEY = "x-amazon-apigateway-authtype"
USER_POOLS = "COGNITO_USER_POOLS"
_PATCHED_MARK = "_localcloud_import_fidelity"
_VALIDATORS_KEY = "x-amazon-apigateway-request-validators"
_VALIDATOR_KEY = "x-amazon-apigateway-request-validator"
_SCHEMA_REF_PREFIX = "#/components/schemas/"
# OpenAPI's parameter locations as API Gateway names them in method.request.<location>.<name>.
_PARAMETER_LOCATIONS = {"query": "querystring", "header": "header", "path": "path"}


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


# --------------------------------------------------------------------------- request validation


def _resolve(value: Any, api_doc: dict[str, Any]) -> Any:
    """Follow a local `$ref` (`#/components/...`) to what it names; anything else as it is."""
    seen: set[str] = set()
    while isinstance(value, dict) and isinstance(value.get("$ref"), str) and value["$ref"].startswith("#/"):
        ref = value["$ref"]
        if ref in seen:
            return None  # a loop of references names nothing
        seen.add(ref)
        target: Any = api_doc
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
        value = target
    return value


def _with_model_refs(schema: Any, api_id: str) -> Any:
    """The schema with each `#/components/schemas/<name>` reference turned into that model's URL."""
    if isinstance(schema, dict):
        return {
            key: (
                model_url(api_id, value.removeprefix(_SCHEMA_REF_PREFIX))
                if key == "$ref" and isinstance(value, str) and value.startswith(_SCHEMA_REF_PREFIX)
                else _with_model_refs(value, api_id)
            )
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_with_model_refs(item, api_id) for item in schema]
    return schema


def _put_model(api: RestAPI, name: str, schema: dict[str, Any]) -> None:
    api.models.pop(name, None)
    description = schema.get("description")
    api.add_model(
        name=name,
        description=description if isinstance(description, str) else "",
        schema=json.dumps(_with_model_refs(schema, api.id)),
        content_type="application/json",
    )


def _apply_models(api: RestAPI, api_doc: dict[str, Any]) -> None:
    schemas = (api_doc.get("components") or {}).get("schemas") or {}
    for name, schema in schemas.items():
        if isinstance(schema, dict):
            _put_model(api, str(name), schema)


def _apply_validators(api: RestAPI, api_doc: dict[str, Any]) -> dict[str, str]:
    """Create the document's validators (replacing any of the same name); their ids by name."""
    declared = api_doc.get(_VALIDATORS_KEY) or {}
    for validator_id, validator in list(api.request_validators.items()):
        if validator.name in declared:
            del api.request_validators[validator_id]
    for name, spec in declared.items():
        if isinstance(spec, dict):
            api.create_request_validator(
                name=str(name),
                validateRequestBody=spec.get("validateRequestBody") is True,
                validateRequestParameters=spec.get("validateRequestParameters") is True,
            )
    return {validator.name: validator.id for validator in api.request_validators.values()}


def _request_parameters(
    path_item: dict[str, Any], operation: dict[str, Any], api_doc: dict[str, Any]
) -> dict[str, bool]:
    """`method.request.<location>.<name>` -> required, from the path item's parameters and the operation's."""
    found: dict[tuple[str, str], bool] = {}
    for raw in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
        parameter = _resolve(raw, api_doc)
        if not isinstance(parameter, dict) or parameter.get("in") not in _PARAMETER_LOCATIONS:
            continue
        location = _PARAMETER_LOCATIONS[parameter["in"]]
        # The operation's own parameter of a name replaces the path item's (they come later).
        found[(location, str(parameter.get("name")))] = location == "path" or parameter.get("required") is True
    return {f"method.request.{location}.{name}": required for (location, name), required in found.items()}


def _inline_model_name(method: str, path: str, media_type: str) -> str:
    # Model names are alphanumeric; API Gateway generates one for an inline schema too.
    return re.sub(r"[^A-Za-z0-9]", "", f"{method.title()}{path.title()}{media_type.title()}") or "Body"


def _request_models(
    api: RestAPI, method: str, path: str, operation: dict[str, Any], api_doc: dict[str, Any]
) -> dict[str, str]:
    """Content type -> model name of the operation's request body; inline schemas become models."""
    body = _resolve(operation.get("requestBody"), api_doc)
    content = body.get("content") if isinstance(body, dict) else None
    models = {}
    for media_type, media in (content if isinstance(content, dict) else {}).items():
        schema = media.get("schema") if isinstance(media, dict) else None
        if not isinstance(schema, dict):
            continue
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF_PREFIX) and len(schema) == 1:
            models[str(media_type)] = ref.removeprefix(_SCHEMA_REF_PREFIX)
        else:
            name = _inline_model_name(method, path, str(media_type))
            _put_model(api, name, schema)
            models[str(media_type)] = name
    return models


def _apply_request_validation(api: RestAPI, api_doc: dict[str, Any], overwrite: bool) -> None:
    if overwrite:  # the document replaces the API's models and validators, as its resources
        api.models.clear()
        api.request_validators.clear()
    _apply_models(api, api_doc)
    validator_ids = _apply_validators(api, api_doc)
    default_validator = api_doc.get(_VALIDATOR_KEY)
    by_path = {path: api.resources[rid] for rid, path in resource_paths(api).items()}
    for path, item in (api_doc.get("paths") or {}).items():
        resource = by_path.get(path)
        if resource is None or not isinstance(item, dict):
            continue
        for method_name, operation in _operations(item).items():
            method = resource.resource_methods.get(method_name)
            if method is None:
                continue
            validator = operation.get(_VALIDATOR_KEY, default_validator)
            method.request_validator_id = validator_ids.get(validator) if isinstance(validator, str) else None
            method.request_parameters = _request_parameters(item, operation, api_doc)
            method.request_models = _request_models(api, method_name, path, operation, api_doc)


# --------------------------------------------------------------------------- the patches


def _faithful_put(original: Callable[..., RestAPI]) -> Callable[..., RestAPI]:
    @functools.wraps(original)
    def put_rest_api(
        self: APIGatewayBackend,
        function_id: str,
        api_doc: dict[str, Any],
        fail_on_warnings: bool,
        mode: str = "merge",
    ) -> RestAPI:
        if fail_on_warnings:
            # moto checks the document it is given, and that is the rewritten one below (its
            # `any` method is no OpenAPI); the check belongs to the document as written.
            validate_openapi(api_doc)
        api = original(self, function_id, operations_only(api_doc), False, mode)
        # Overwrite mode makes a new "/" resource but leaves rootResourceId on the deleted one.
        api.root_resource_id = api.default.id
        _apply_security(api, api_doc, _sync_authorizers(self, api, api_doc, mode))
        _apply_extensions(api, api_doc)
        _apply_request_validation(api, api_doc, overwrite=mode == "overwrite")
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
