"""API Gateway's OpenAPI importer: its warnings, ``failOnWarnings``, and the input it refuses.

"Errors and warnings from importing your API into API Gateway" (API Gateway developer guide):
"During the import, warnings can be generated for minor issues like a missing model reference.
If a warning occurs, the operation will continue if the failonwarnings=false query expression is
appended to the request URL. Otherwise, the updates will be rolled back. By default,
failonwarnings is set to false. In such cases, warnings are returned as a field in the resulting
RestApi resource. Otherwise, warnings are returned as a message in the exception."

So ``ImportRestApi`` and ``PutRestApi`` (merge or overwrite) with ``failOnWarnings=true`` answer
``BadRequestException`` "Warnings found during import:" followed by one warning a line (each
after a newline and a tab; the header is what Terraform's acceptance tests and CloudFormation
users see from AWS) and change nothing; without it they import and their answer carries
``warnings``. What the local cloud reports, each with AWS's wording:

1. An ``x-amazon-apigateway-integration`` ``requestParameters`` value that is not a string
   (``integration.request.header.x: true``): "Invalid format for 'requestParameters'. Expected
   type string for property 'integration.request.header.x' of resource '/path' and method 'GET'
   but got 'true'" (AWS's answer as LocalStack recorded it against AWS).
2. A response schema ``$ref`` to a ``components/schemas`` entry that does not exist (the guide's
   "missing model reference"): "Parse issue: attribute paths.'/path'(get).responses.200.content.
   schema.#/components/schemas/Name is missing" (the wording of API Gateway's importer as recorded
   for HTTP APIs; for REST APIs only the kind of warning is documented).

Errors (refused whatever ``failOnWarnings`` says), both ``BadRequestException`` "Invalid OpenAPI
input.": a body that is neither JSON nor YAML (recorded by LocalStack against AWS for both
operations), and an ``openapi`` version other than 3.0.x, such as 3.1.0 (the guide: "API Gateway
supports OpenAPI v2.0 and OpenAPI v3.0 definition files"; AWS's answer as users report it).

Checked and NOT enforced: AWS documents these OpenAPI features as unsupported ("Amazon API Gateway
important notes for REST APIs": "The additionalProperties and anyOf fields are not supported in
Models", "The discriminator parameter is not supported in any schema object", "The example tag is
not supported", "exclusiveMinimum is not supported", "oneOf is not supported", "The readOnly field
is not supported", "Response definitions of the "500": {"$ref": "#/responses/UnexpectedError"}
form is not supported in the OpenAPI document root", Int32/Int64 number formats and
``"format": "decimal"`` are not supported, method response schemas must be objects, root-level
``security`` is not used, and of input parameters only ``name``, ``in``, ``required``, ``type``,
``description`` are read). Neither that page nor any recorded AWS answer says the importer warns
about them, nor with what words, and ``links`` and response-header ``$ref``s are not mentioned at
all: refusing them could fail an import AWS accepts, so they import cleanly here. A contract meant
to import the same on AWS should still avoid them, since API Gateway drops what it does not
support: inline shared responses and response headers, drop ``links``, and do not rely on
``additionalProperties``/``anyOf``/``oneOf`` in models for request validation.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import yaml
from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import APIGatewayBackend, RestAPI
from moto.apigateway.responses import APIGatewayResponse

from localcloud import aws_rules

WARNINGS_HEADER = "Warnings found during import:"
INVALID_INPUT_MESSAGE = "Invalid OpenAPI input."

_OPERATION_KEYS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_ANY_METHOD_KEY = "x-amazon-apigateway-any-method"
_INTEGRATION_KEY = "x-amazon-apigateway-integration"
_SCHEMA_REF_PREFIX = "#/components/schemas/"


class _Call(threading.local):
    """The import in progress on this thread: moto's ImportRestApi calls its PutRestApi."""

    def __init__(self) -> None:
        self.importing = False
        self.warnings: list[str] | None = None


_CALL = _Call()


def _operations(api_doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, operation key, operation) for every operation of the document, in its order."""
    paths = api_doc.get("paths")
    for path, item in paths.items() if isinstance(paths, dict) else []:
        if not isinstance(item, dict):
            continue
        for key, operation in item.items():
            lowered = str(key).lower()
            if (lowered in _OPERATION_KEYS or lowered == _ANY_METHOD_KEY) and isinstance(operation, dict):
                yield str(path), lowered, operation


def _shown(value: Any) -> str:
    """A parameter value as AWS's importer prints it (JSON literals, not Python's)."""
    return value if isinstance(value, str) else json.dumps(value)


def _request_parameter_warnings(path: str, key: str, operation: dict[str, Any]) -> list[str]:
    integration = operation.get(_INTEGRATION_KEY)
    parameters = integration.get("requestParameters") if isinstance(integration, dict) else None
    if not isinstance(parameters, dict):
        return []
    method = "ANY" if key == _ANY_METHOD_KEY else key.upper()
    return [
        f"Invalid format for 'requestParameters'. Expected type string for property '{name}' of resource"
        f" '{path}' and method '{method}' but got '{_shown(value)}'"
        for name, value in parameters.items()
        if not isinstance(value, str)
    ]


def _missing_model_warnings(path: str, key: str, operation: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    responses = operation.get("responses")
    found = []
    for status, response in responses.items() if isinstance(responses, dict) else []:
        content = response.get("content") if isinstance(response, dict) else None
        for media in content.values() if isinstance(content, dict) else []:
            schema = media.get("schema") if isinstance(media, dict) else None
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            missing = isinstance(ref, str) and ref.removeprefix(_SCHEMA_REF_PREFIX) not in schemas
            if missing and str(ref).startswith(_SCHEMA_REF_PREFIX):
                attribute = f"paths.'{path}'({key}).responses.{status}.content.schema.{ref}"
                found.append(f"Parse issue: attribute {attribute} is missing")
    return found


def import_warnings(api_doc: dict[str, Any]) -> list[str]:
    """The warnings API Gateway's importer gives this OpenAPI 3 document (see the module's docstring)."""
    components = api_doc.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    schemas = schemas if isinstance(schemas, dict) else {}
    warnings: list[str] = []
    for path, key, operation in _operations(api_doc):
        warnings += _request_parameter_warnings(path, key, operation)
        warnings += _missing_model_warnings(path, key, operation, schemas)
    return warnings


def _check(api_doc: dict[str, Any], fail_on_warnings: bool) -> None:
    """Refuse the import when it warns and the caller asked to fail; else keep the warnings to answer."""
    warnings = import_warnings(api_doc)
    if warnings and fail_on_warnings:
        raise BadRequestException("\n\t".join([WARNINGS_HEADER, *warnings]))
    _CALL.warnings = warnings or None


def _checked_import(original: Callable[..., RestAPI]) -> Callable[..., RestAPI]:
    @functools.wraps(original)
    def import_rest_api(self: APIGatewayBackend, api_doc: dict[str, Any], fail_on_warnings: bool) -> RestAPI:
        if not aws_rules.active():
            return original(self, api_doc, fail_on_warnings)
        _check(api_doc, fail_on_warnings)  # before the API exists: a refused import leaves nothing
        _CALL.importing = True
        try:
            return original(self, api_doc, fail_on_warnings)
        finally:
            _CALL.importing = False

    return import_rest_api


def _checked_put(original: Callable[..., RestAPI]) -> Callable[..., RestAPI]:
    @functools.wraps(original)
    def put_rest_api(
        self: APIGatewayBackend, function_id: str, api_doc: dict[str, Any], fail_on_warnings: bool, mode: str = "merge"
    ) -> RestAPI:
        if aws_rules.active() and not _CALL.importing:
            self.get_rest_api(function_id)  # an unknown API is NotFoundException, whatever the body
            _check(api_doc, fail_on_warnings)  # before moto changes the API: a refused put changes nothing
        return original(self, function_id, api_doc, fail_on_warnings, mode)

    return put_rest_api


def _require_importable(body: Any) -> None:
    """Refuse, as AWS's importer does, a body it cannot read at all."""
    text = body.decode() if isinstance(body, bytes) else str(body or "")
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            raise BadRequestException(INVALID_INPUT_MESSAGE) from None
    # "Develop REST APIs using OpenAPI in API Gateway": "Currently, API Gateway supports OpenAPI
    # v2.0 and OpenAPI v3.0 definition files"; a 3.1 document is answered "Invalid OpenAPI input.".
    version = document.get("openapi") if isinstance(document, dict) else None
    if isinstance(version, str) and not version.startswith("3.0"):
        raise BadRequestException(INVALID_INPUT_MESSAGE)


def _answering_warnings(original: Callable[[APIGatewayResponse], Any]) -> Callable[[APIGatewayResponse], Any]:
    """The import's answer, with the warnings kept by ``_check`` as AWS's RestApi carries them."""

    @functools.wraps(original)
    def handler(self: APIGatewayResponse) -> Any:
        if not aws_rules.active():
            return original(self)
        _require_importable(self.body)
        _CALL.warnings = None
        try:
            answer = original(self)
            warnings = _CALL.warnings
        finally:
            _CALL.warnings = None
        if warnings and isinstance(answer, tuple) and answer[0] == 200:
            status, headers, body = answer
            return status, headers, json.dumps({**json.loads(body), "warnings": warnings})
        return answer

    return handler


def apply() -> None:
    """Install this module's rules on moto's classes (once, from ``aws_rules.apply``)."""
    backend: Any = APIGatewayBackend
    backend.import_rest_api = _checked_import(backend.import_rest_api)
    backend.put_rest_api = _checked_put(backend.put_rest_api)
    responses: Any = APIGatewayResponse
    responses.import_rest_api = _answering_warnings(responses.import_rest_api)
    responses.put_rest_api = _answering_warnings(responses.put_rest_api)
