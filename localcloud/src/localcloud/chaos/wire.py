"""What a fault rule matches and what an injected error looks like, on the wire.

``AwsRequest`` identifies one AWS API request from its WSGI environ, the way
the real endpoint sees it, never from the client's intent:

- service and region come from the SigV4 credential scope
  (``Credential=<key>/<date>/<region>/<service>/aws4_request``, or the
  ``X-Amz-Credential`` of a presigned URL). That is the *signing* name, which is
  the service name for everything this project uses except two that share or
  rename theirs: DynamoDB Streams signs as ``dynamodb`` (told apart by its
  ``DynamoDBStreams_20120810`` target prefix) and CloudWatch as ``monitoring``;
  both are reported under the names LocalStack's rules use.
- the operation comes from ``X-Amz-Target`` (JSON protocols), the path of a
  Smithy RPC v2 CBOR request, the ``Action`` parameter (query protocol: SNS,
  IAM, STS, EC2 and SQS's older form), or else moto's own REST router (Lambda,
  API Gateway, Scheduler, S3), which knows every operation's method and path.
- the resources are the strings that name what the request acts on (queue
  URL, topic ARN, stream name or ARN, table names, function name or ARN), each
  also in its other form where one can be derived (a queue URL's ARN, a table
  or stream name's ARN, a function name's ARN), so a rule may name either.

Everything but service and region is computed only when a rule asks for it:
the body is read at most once and put back for moto.

``error_response`` renders an error in the protocol the client's SDK parses,
so it classifies the error as it would AWS's (botocore's parsers.py reads
exactly these fields): JSON ``{"__type": "<ns>#<Code>", "message": ...}``
(plus ``x-amzn-query-error: <Code>;Sender|Receiver`` for SQS and CloudWatch,
whose JSON and CBOR protocols keep their query error codes); query
``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>``; EC2's
``<Response><Errors>...``; REST-JSON ``x-amzn-ErrorType``; REST-XML (S3)
``<Error><Code/>...``; CBOR the same map as JSON, encoded as CBOR.
"""

from __future__ import annotations

import http
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import escape

from localcloud.moto_patches.internals import DEFAULT_ACCOUNT_ID, Request, get_service_router

# Signing names that are not the service's own name (see the module docstring).
_SERVICE_BY_SIGNING_NAME = {"monitoring": "cloudwatch", "email": "ses", "states": "stepfunctions"}
# Query-protocol services whose newer JSON or CBOR protocol keeps the query
# error codes in x-amzn-query-error (awsQueryCompatible in their models).
_QUERY_COMPATIBLE = frozenset({"sqs", "cloudwatch"})
_REST_XML_SERVICES = frozenset({"s3", "s3control", "route53", "cloudfront"})
# DynamoDB's real error type prefix; other services get com.amazonaws.<service>.
_ERROR_NAMESPACES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810",
    "dynamodbstreams": "com.amazonaws.dynamodb.v20120810",
}
# Top-level request members that name the resource an operation acts on.
_RESOURCE_MEMBERS = (
    "QueueUrl",
    "TopicArn",
    "TargetArn",
    "StreamName",
    "StreamARN",
    "StreamArn",
    "TableName",
    "TableArn",
    "FunctionName",
    "ResourceArn",
)


class AwsRequest:
    """One AWS API request, identified lazily from its WSGI environ."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        scope = _credential_scope(environ)
        self.region: str | None = scope[2] if scope else None
        signing_name = scope[3] if scope else None
        self.target: str = environ.get("HTTP_X_AMZ_TARGET", "")
        if signing_name == "dynamodb" and self.target.startswith("DynamoDBStreams_"):
            signing_name = "dynamodbstreams"
        self.service: str | None = _SERVICE_BY_SIGNING_NAME.get(signing_name or "", signing_name)
        self._body: bytes | None = None
        self._protocol: str | None = None
        self._operation: tuple[str | None, dict[str, Any]] | None = None
        self._resources: tuple[str, ...] | None = None

    # -- protocol -------------------------------------------------------------------

    @property
    def protocol(self) -> str:
        """json, rpc-v2-cbor, query, ec2, rest-xml or rest-json: what the client's SDK speaks."""
        if self._protocol is None:
            self._protocol = self._detect_protocol()
        return self._protocol

    def _detect_protocol(self) -> str:
        if self.target:
            return "json"
        if self.environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
            return "rpc-v2-cbor"
        if self._query_params() is not None:
            return "ec2" if self.service == "ec2" else "query"
        return "rest-xml" if self.service in _REST_XML_SERVICES else "rest-json"

    # -- operation ------------------------------------------------------------------

    @property
    def operation(self) -> str | None:
        return self._resolve()[0]

    def _resolve(self) -> tuple[str | None, dict[str, Any]]:
        """(operation, parameters that may name resources), computed once."""
        if self._operation is None:
            self._operation = self._identify()
        return self._operation

    def _identify(self) -> tuple[str | None, dict[str, Any]]:
        if self.target:
            return self.target.rsplit(".", 1)[-1], self._json_body()
        path: str = self.environ.get("PATH_INFO", "")
        if self.environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
            # /service/<ServiceShape>/operation/<Operation>; the body is CBOR, not read.
            return path.rsplit("/operation/", 1)[-1] or None, {}
        params = self._query_params()
        if params is not None:
            return params.get("Action"), params
        return self._rest_operation()

    def _query_params(self) -> dict[str, str] | None:
        """The parameters of a query-protocol request (it has an Action), else None."""
        query = parse_qs(self.environ.get("QUERY_STRING", ""))
        if "Action" not in query and self.environ.get("CONTENT_TYPE", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            query = {**parse_qs(self.body().decode("utf-8", "replace")), **query}
        if "Action" not in query:
            return None
        return {key: values[0] for key, values in query.items() if values}

    def _rest_operation(self) -> tuple[str | None, dict[str, Any]]:
        if not self.service:
            return None, {}
        self.body()  # the router's Request must not consume the stream moto reads
        try:
            # populate_request=False: the environ moto serves next must not carry this Request.
            request = Request(self.environ, populate_request=False)
            operation, params = get_service_router(self.service).match(request)
        except Exception:  # not a known service or route: no operation to match
            return None, {}
        return str(operation.name), dict(params)

    # -- resources ------------------------------------------------------------------

    @property
    def resources(self) -> tuple[str, ...]:
        """Every string naming what this request acts on (see the module docstring)."""
        if self._resources is None:
            self._resources = tuple(dict.fromkeys(self._resource_names()))
        return self._resources

    def _resource_names(self) -> Iterator[str]:
        _, params = self._resolve()
        for member in _RESOURCE_MEMBERS:
            value = params.get(member)
            if isinstance(value, str) and value:
                yield value
                yield from self._derived_arns(member, value)
        # DynamoDB: TransactWriteItems / TransactGetItems name a table per item;
        # BatchWriteItem / BatchGetItem key their requests by table.
        for item in params.get("TransactItems") or []:
            for action in item.values() if isinstance(item, dict) else ():
                table = action.get("TableName") if isinstance(action, dict) else None
                if isinstance(table, str):
                    yield table
                    yield from self._derived_arns("TableName", table)
        request_items = params.get("RequestItems")
        if isinstance(request_items, dict):
            for table in request_items:
                yield table
                yield from self._derived_arns("TableName", table)
        path: str = self.environ.get("PATH_INFO", "/")
        if self.protocol in ("query", "ec2") and path != "/":
            yield unquote(path)  # SQS's older form posts to the queue's own path

    def _derived_arns(self, member: str, value: str) -> Iterator[str]:
        if value.startswith("arn:"):
            return
        region, account = self.region or "us-east-1", DEFAULT_ACCOUNT_ID
        if member == "QueueUrl":
            parts = urlparse(value).path.strip("/").split("/")
            if len(parts) == 2:
                yield f"arn:aws:sqs:{region}:{parts[0]}:{parts[1]}"
        elif member == "StreamName":
            yield f"arn:aws:kinesis:{region}:{account}:stream/{value}"
        elif member == "TableName":
            yield f"arn:aws:dynamodb:{region}:{account}:table/{value}"
        elif member == "FunctionName" and ":" not in value:
            yield f"arn:aws:lambda:{region}:{account}:function:{value}"

    # -- body -----------------------------------------------------------------------

    def body(self) -> bytes:
        """The request body, read once; moto reads the same bytes afterwards."""
        if self._body is None:
            environ = self.environ
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            stream = environ["wsgi.input"]
            if length > 0:
                self._body = stream.read(length)
            elif environ.get("wsgi.input_terminated"):  # chunked: the server marks the end
                self._body = stream.read()
            else:
                self._body = b""
            environ["wsgi.input"] = io.BytesIO(self._body)
            environ["CONTENT_LENGTH"] = str(len(self._body))
        return self._body

    def _json_body(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body() or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


def _credential_scope(environ: dict[str, Any]) -> list[str] | None:
    """[key, date, region, service, "aws4_request"] of a SigV4 request, else None."""
    authorization: str = environ.get("HTTP_AUTHORIZATION", "")
    marker = authorization.find("Credential=")
    if marker >= 0:
        credential = authorization[marker + len("Credential=") :].split(",", 1)[0].strip()
    else:
        query: str = environ.get("QUERY_STRING", "")
        if "X-Amz-Credential=" not in query:
            return None
        credential = parse_qs(query).get("X-Amz-Credential", [""])[0]
    scope = credential.split("/")
    return scope if len(scope) >= 5 else None


# -- errors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WireResponse:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


def error_response(request: AwsRequest, status: int, code: str, message: str) -> WireResponse:
    """The error ``code`` with ``message``, as the request's service would send it."""
    error = _Error(request, code, message, str(uuid.uuid4()), "Sender" if status < 500 else "Receiver")
    content_type, headers, body = _RENDERERS.get(request.protocol, _rest_json)(error)
    headers = [
        ("x-amzn-RequestId", error.request_id),
        *headers,
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
    ]
    return WireResponse(status_line(status), headers, body)


@dataclass(frozen=True)
class _Error:
    request: AwsRequest
    code: str
    message: str
    request_id: str
    fault: str  # Sender (4xx) or Receiver (5xx), as the query protocol says it

    @property
    def service(self) -> str:
        return self.request.service or "unknown"

    def document(self) -> dict[str, str]:
        namespace = _ERROR_NAMESPACES.get(self.service, f"com.amazonaws.{self.service}")
        return {"__type": f"{namespace}#{self.code}", "message": self.message}

    def query_error(self) -> list[tuple[str, str]]:
        if self.service not in _QUERY_COMPATIBLE:
            return []
        return [("x-amzn-query-error", f"{self.code};{self.fault}")]


Rendered = tuple[str, list[tuple[str, str]], bytes]  # content type, headers, body


def _json(error: _Error) -> Rendered:
    sent: str = error.request.environ.get("CONTENT_TYPE", "")
    # The reply uses the request's own JSON version (1.0 or 1.1).
    content_type = sent if sent.startswith("application/x-amz-json") else "application/x-amz-json-1.0"
    return content_type, error.query_error(), json.dumps(error.document()).encode()


def _cbor(error: _Error) -> Rendered:
    headers = [("smithy-protocol", "rpc-v2-cbor"), *error.query_error()]
    return "application/cbor", headers, cbor_text_map(error.document())


def _query(error: _Error) -> Rendered:
    # No xmlns: botocore (and every SDK) reads the tags either way.
    body = (
        f"<ErrorResponse><Error><Type>{error.fault}</Type><Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error><RequestId>{error.request_id}</RequestId></ErrorResponse>"
    )
    return "text/xml", [], body.encode()


def _ec2(error: _Error) -> Rendered:
    body = (
        f"<Response><Errors><Error><Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
        f"</Error></Errors><RequestID>{error.request_id}</RequestID></Response>"
    )
    return "text/xml", [], body.encode()


def _rest_xml(error: _Error) -> Rendered:
    body = (
        f"<Error><Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
        f"<RequestId>{error.request_id}</RequestId></Error>"
    )
    return "application/xml", [("x-amz-request-id", error.request_id)], body.encode()


def _rest_json(error: _Error) -> Rendered:
    # Lambda's own error bodies carry Type (User or Service) beside the message.
    document = {"Type": "User" if error.fault == "Sender" else "Service", "message": error.message}
    return "application/json", [("x-amzn-ErrorType", error.code)], json.dumps(document).encode()


_RENDERERS = {
    "json": _json,
    "rpc-v2-cbor": _cbor,
    "query": _query,
    "ec2": _ec2,
    "rest-xml": _rest_xml,
    "rest-json": _rest_json,
}


def status_line(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def cbor_text_map(document: dict[str, str]) -> bytes:
    """A CBOR map of text strings: all an error document needs (RFC 8949 major types 3 and 5)."""
    out = bytearray(_cbor_head(5, len(document)))
    for key, value in document.items():
        for text in (key, value):
            data = text.encode()
            out += _cbor_head(3, len(data)) + data
    return bytes(out)


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for info, size in ((24, 1), (25, 2), (26, 4)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | info]) + length.to_bytes(size, "big")
    return bytes([major << 5 | 27]) + length.to_bytes(8, "big")
