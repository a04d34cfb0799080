"""Request validation as API Gateway does it before the integration: required parameters, JSON body.

What is checked comes from moto's state, as API Gateway keeps it after an import (see
``import_fidelity``) or after the equivalent control-plane calls: the method's request
validator turns the checks on (``validateRequestParameters``, ``validateRequestBody``,
read into ``routes.RequestChecks``), its request parameters say which are required
(``method.request.querystring.subject: true``), and its request models name, per content
type, one of the API's models. A model is JSON Schema draft 4; it refers to another model
by that model's URL, ``https://apigateway.amazonaws.com/restapis/<api-id>/models/<name>``,
as API Gateway writes the references of an imported document.

- Parameters: each required one must be present and not blank (query string, header,
  path), or the answer is BAD_REQUEST_PARAMETERS naming the missing ones.
- Body: the model is chosen by the request's media type (parameters such as ``charset``
  ignored; no Content-Type means ``application/json``), else the ``$default`` model, else
  nothing is checked. The body must be JSON and valid against the model, or the answer is
  BAD_REQUEST_BODY ("Invalid request body", with what was wrong in
  ``$context.error.validationErrorString``). ``format`` is not checked, as draft 4 makes it
  optional.

Compiled schemas are cached per API and model and rebuilt after any control-plane change
(the generation counter of ``routes``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4

from localcloud.apigateway.gateway_responses import (
    API_CONFIGURATION_ERROR,
    GatewayError,
    bad_request_body,
    bad_request_parameters,
)
from localcloud.apigateway.generation import current_generation
from localcloud.apigateway.proxy_event import IncomingRequest
from localcloud.apigateway.routes import RequestChecks
from localcloud.moto_patches.internals import RestAPI

__all__ = ["MODEL_URL", "check_request", "model_url"]

LOG = logging.getLogger(__name__)

MODEL_URL = "https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"
_DEFAULT_MODEL = "$default"
_DEFAULT_CONTENT_TYPE = "application/json"
# Past this many findings the rest are left out of validationErrorString.
_MAX_FINDINGS = 10


def model_url(api_id: str, name: str) -> str:
    """The URL by which one model of an API refers to another."""
    return MODEL_URL.format(api_id=api_id, name=name)


def check_request(
    api: RestAPI,
    checks: RequestChecks,
    request: IncomingRequest,
    path_parameters: Mapping[str, str],
    body: bytes,
) -> GatewayError | None:
    """The gateway response a validator gives this request, or None when it passes (or nothing is checked)."""
    if checks.required_parameters:
        missing = _missing_parameters(checks.required_parameters, request, path_parameters)
        if missing:
            return bad_request_parameters(missing)
    if checks.models:
        return _check_body(api, dict(checks.models), request, body)
    return None


# --------------------------------------------------------------------------- parameters


def _missing_parameters(
    required: tuple[tuple[str, str], ...], request: IncomingRequest, path_parameters: Mapping[str, str]
) -> list[str]:
    missing = []
    for location, name in required:
        if location == "querystring":
            values = [value for key, value in request.query if key == name]
        elif location == "header":
            values = [value for key, value in request.headers if key.lower() == name.lower()]
        else:
            values = [path_parameters[name]] if name in path_parameters else []
        if not any(value.strip() for value in values):
            missing.append(name)
    return missing


# --------------------------------------------------------------------------- body


def _media_type(request: IncomingRequest) -> str:
    content_type = request.header("content-type") or ""
    return content_type.split(";", 1)[0].strip().lower() or _DEFAULT_CONTENT_TYPE


def _check_body(api: RestAPI, models: dict[str, str], request: IncomingRequest, body: bytes) -> GatewayError | None:
    model_name = models.get(_media_type(request)) or models.get(_DEFAULT_MODEL)
    if model_name is None:
        return None  # no model for this media type: API Gateway passes the body on unchecked
    try:
        instance = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return bad_request_body([f"the body is not JSON: {exc}"])
    validator = _validator(api, model_name)
    if validator is None:
        return API_CONFIGURATION_ERROR
    try:
        findings = [_finding(error) for error in validator.iter_errors(instance)]
    except Unresolvable as exc:
        LOG.warning("Model %s of API %s refers to what does not exist: %s", model_name, api.id, exc)
        return API_CONFIGURATION_ERROR
    if findings:
        return bad_request_body(sorted(findings)[:_MAX_FINDINGS])
    return None


def _finding(error: Any) -> str:
    where = "/".join(str(part) for part in error.absolute_path)
    return f"{where or '(root)'}: {error.message}"


# --------------------------------------------------------------------------- compiled models

_lock = threading.Lock()
# (account, region, api id, model name) -> (generation, validator or None for an unusable model)
_compiled: dict[tuple[str, str, str, str], tuple[int, Draft4Validator | None]] = {}


def _validator(api: RestAPI, model_name: str) -> Draft4Validator | None:
    key = (api.account_id, api.region_name, api.id, model_name)
    generation = current_generation()  # read before building: a concurrent change makes it stale
    cached = _compiled.get(key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    validator = _compile(api, model_name)
    with _lock:
        if len(_compiled) > 1024:
            _compiled.clear()
        _compiled[key] = (generation, validator)
    return validator


def _schemas(api: RestAPI) -> dict[str, Any]:
    schemas = {}
    for name, model in dict(api.models).items():
        try:
            schemas[name] = json.loads(model.schema) if isinstance(model.schema, str) else model.schema
        except ValueError:
            LOG.warning("Model %s of API %s is not JSON; requests that need it fail", name, api.id)
    return {name: schema for name, schema in schemas.items() if isinstance(schema, dict)}


def _compile(api: RestAPI, model_name: str) -> Draft4Validator | None:
    schemas = _schemas(api)
    if model_name not in schemas:
        LOG.warning("Execution failed due to configuration error: model %s of API %s not found", model_name, api.id)
        return None
    registry: Registry[Any] = Registry().with_resources(
        (model_url(api.id, name), Resource.from_contents(schema, default_specification=DRAFT4))
        for name, schema in schemas.items()
    )
    return Draft4Validator(schemas[model_name], registry=registry)
