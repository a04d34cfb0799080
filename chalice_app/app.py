"""The events service: HTTP routes (the `api` Lambda) and every event handler.

Handlers stay thin: each parses what it must from the request or event and calls
a domain object from chalicelib, built once per execution environment by
chalicelib.components. Routes are exactly the operations of
contracts/openapi.yaml; a test compares the two.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Chalice, Request, Response

from chalicelib import components, contract
from chalicelib.batch import PartialResponse
from chalicelib.errors import ApiError, ValidationError
from chalicelib.events import NewEvent
from chalicelib.http import (
    MAX_BODY_BYTES,
    conform_framework_error,
    dependency_error,
    error_response,
    header,
    json_response,
    parse_json_request,
    request_id,
)
from chalicelib.identity import caller_of
from chalicelib.retry import Deadline
from chalicelib.service import parse_limit

# Powertools' logger owns the "events" logger and writes JSON; Chalice's own plain-text handler
# on the same logger would write every line a second time.
app = Chalice(app_name="events", configure_logs=False)

# Time kept back from a function's timeout to answer: the API's response, the publisher's batch report.
API_RESERVE_SECONDS = 1.0
PUBLISHER_RESERVE_SECONDS = 2.0

# Every content type reaches the view so that a wrong one gets the contract's 415, not Chalice's.
ANY_CONTENT_TYPE = ["*/*"]


@app.middleware("http")
def conform_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    return conform_framework_error(get_response(event), app.current_request)


# Keys every log line of one request carries. The logger lives as long as the execution
# environment, so they are removed when the request ends: the next request must not inherit them.
REQUEST_LOG_KEYS = ["request_id", "event_id"]


@app.middleware("http")
def log_request_keys(event: Any, get_response: Callable[[Any], Response]) -> Response:
    logger = components.logger()
    # API Gateway's request id, the one the client sees in an error body: `make trace` and a
    # support ticket lead to the same lines.
    logger.append_keys(request_id=request_id(event))
    try:
        return get_response(event)
    finally:
        logger.remove_keys(REQUEST_LOG_KEYS)


def answers_api_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except ApiError as error:
            return error_response(error, request_id(app.current_request))
        except Exception as error:
            answer = dependency_error(error)
            if answer is None:
                raise
            components.logger().warning("a dependency failed transiently", extra={"error": repr(error)})
            return error_response(answer, request_id(app.current_request))

    return wrapper


def _request() -> Request:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling a view
    return request


def _query(name: str) -> str | None:
    params: Mapping[str, Any] = _request().query_params or {}
    value = params.get(name)
    return None if value is None else str(value)


def _event_location(event_id: str) -> dict[str, str]:
    return {"Location": f"/v1/events/{event_id}"}


@app.route("/health", methods=["GET"], api_key_required=False, content_types=ANY_CONTENT_TYPE)
def get_health() -> Response:
    return json_response({"status": "ok"})


@app.route("/v1/events", methods=["POST"], api_key_required=True, content_types=ANY_CONTENT_TYPE)
@answers_api_errors
def create_event() -> Response:
    request = _request()
    raw = request.raw_body or b""
    body = parse_json_request(
        raw.encode() if isinstance(raw, str) else raw, header(request, "content-type"), MAX_BODY_BYTES
    )
    new = NewEvent.from_body(body)
    key = header(request, "idempotency-key")
    if key is not None:
        contract.validate_parameter("createEvent", "Idempotency-Key", key)
    deadline = Deadline.from_context(app.lambda_context, API_RESERVE_SECONDS)
    event, created = components.event_service().create(new, key, deadline, caller_of(request.context))
    logger = components.logger()
    logger.append_keys(event_id=event.id)
    logger.info("accepted" if created else "idempotent retry: the first event answered")
    return json_response(event.to_api(), status=201 if created else 200, headers=_event_location(event.id))


@app.route("/v1/events", methods=["GET"], api_key_required=True, content_types=ANY_CONTENT_TYPE)
@answers_api_errors
def list_events() -> Response:
    subject = _query("subject")
    if subject is None:
        raise ValidationError("query parameter subject is required")
    contract.validate_parameter("listEvents", "subject", subject)
    cursor = _query("cursor")
    if cursor is not None:
        contract.validate_parameter("listEvents", "cursor", cursor)
    page = components.event_service().list_subject(subject, parse_limit(_query("limit")), cursor)
    return json_response(page)


@app.route("/v1/events/{event_id}", methods=["GET"], api_key_required=True, content_types=ANY_CONTENT_TYPE)
@answers_api_errors
def get_event(event_id: str) -> Response:
    contract.validate_parameter("getEvent", "event_id", event_id)
    return json_response(components.event_service().get(event_id).to_api())


@app.route("/v1/subjects/{subject}/stats", methods=["GET"], api_key_required=True, content_types=ANY_CONTENT_TYPE)
@answers_api_errors
def get_subject_stats(subject: str) -> Response:
    contract.validate_parameter("getSubjectStats", "subject", subject)
    return json_response(components.event_service().subject_stats(subject))


# -- event handlers ------------------------------------------------------------------------------


@app.lambda_function(name="publisher")
def publisher(event: dict[str, Any], context: Any) -> PartialResponse:
    """DynamoDB stream -> standard topic, FIFO topic and Kinesis, in stream order."""
    deadline = Deadline.from_context(context, PUBLISHER_RESERVE_SECONDS)
    return components.publisher().publish_stream_batch(event.get("Records", []), deadline)


@app.lambda_function(name="processor")
def processor(event: dict[str, Any], context: Any) -> PartialResponse:
    """Standard queue -> mark events processed."""
    return components.consumers().processor_batch(event, context)


@app.lambda_function(name="sequencer")
def sequencer(event: dict[str, Any], context: Any) -> PartialResponse:
    """FIFO queue -> assign per-subject sequence numbers."""
    return components.consumers().sequencer_batch(event, context)


@app.lambda_function(name="analytics")
def analytics(event: dict[str, Any], context: Any) -> PartialResponse:
    """Kinesis -> per-subject statistics."""
    return components.consumers().analytics_batch(event, context)


@app.lambda_function(name="notifier")
def notifier(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Standard topic (alert.* only) -> notification records."""
    return {"notified": components.consumers().notifier_event(event)}


@app.lambda_function(name="reconciler")
def reconciler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Schedule -> repair every lane from the table, report DLQ depth."""
    return components.reconciler().run(context)
