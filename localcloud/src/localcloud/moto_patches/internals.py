"""moto's internals as the rest of the local cloud uses them, named in this one place.

The other rooms read and write moto's in-memory state (its backends and the
models they hold) and reuse a few of its helpers; they import them from here,
never from ``moto.<service>.*`` or ``moto.core.*`` (a test checks it). A moto
upgrade that moves one of them changes this file and the patches beside it.

Besides the names, the lookups several rooms share: a function (or version) by
ARN, a layer version's code, a user pool by ARN and an app client by id, the keys
moto signs user pool tokens with, and resetting moto's state between test clouds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from moto import __version__ as _moto_version
from moto.apigateway.exceptions import InvalidOpenAPIDocumentException
from moto.apigateway.models import (
    APIGatewayBackend,
    Authorizer,
    GatewayResponse,
    Resource,
    RestAPI,
    Stage,
    apigateway_backends,
)
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.backends import get_backend
from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient, cognitoidp_backends
from moto.core.base_backend import BackendDict
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY, Request
from moto.core.routing import get_service_router
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import LimitedSizeDict
from moto.ec2.models import ec2_backends
from moto.events.models import EventPattern, Rule, events_backends
from moto.events.utils import EventTemplateParser
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends
from moto.kinesis.models import kinesis_backends
from moto.logs.exceptions import ResourceAlreadyExistsException, ResourceNotFoundException
from moto.logs.models import logs_backends
from moto.scheduler.models import scheduler_backends
from moto.sns.models import sns_backends
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Queue, SQSBackend, sqs_backends
from moto.utilities.utils import load_resource
from openapi_spec_validator import validate as validate_openapi_spec
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from localcloud.moto_patches.serial import holding_moto

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "PRESERVED_HEADER_NAMES_ENVIRON_KEY",
    "APIGatewayBackend",
    "AWSManagedPolicy",
    "Authorizer",
    "CognitoIdpUserPool",
    "CognitoIdpUserPoolClient",
    "EventPattern",
    "EventTemplateParser",
    "GatewayResponse",
    "LambdaFunction",
    "LimitedSizeDict",
    "Queue",
    "ReceiptHandleIsInvalid",
    "Request",
    "Resource",
    "ResourceAlreadyExistsException",
    "ResourceNotFoundException",
    "RestAPI",
    "Rule",
    "SQSBackend",
    "Stage",
    "apigateway_backends",
    "aws_managed_policies_data",
    "backends_by_service",
    "cognitoidp_backends",
    "deployed_functions",
    "dynamodb_backends",
    "events_backends",
    "find_function",
    "find_user_pool",
    "find_user_pool_client",
    "get_service_router",
    "kinesis_backends",
    "lambda_backends",
    "logs_backends",
    "moto_version",
    "parse_function_arn",
    "prewarm_backends",
    "registered_backends",
    "reset_backends",
    "resolve_layer",
    "scheduler_backends",
    "sns_backends",
    "sqs_backends",
    "unchecked_attributes",
    "user_pool_public_keys",
    "validate_openapi",
]


def parse_function_arn(arn: str) -> tuple[str, str, str, str | None]:
    """(account, region, name, qualifier) of a function ARN.

    Also accepts an API Gateway integration URI, which wraps the function ARN:
    arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations
    """
    if ":apigateway:" in arn and "/functions/" in arn:
        arn = arn.split("/functions/", 1)[1].removesuffix("/invocations")
    parts = arn.split(":")
    if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
        raise ValueError(f"not a Lambda function ARN: {arn}")
    qualifier = parts[7] if len(parts) == 8 else None
    return parts[4], parts[3], parts[6], qualifier


def deployed_functions() -> Iterator[LambdaFunction]:
    """Each function's $LATEST and its published versions, as moto holds them.

    moto's own listing (``LambdaStorage.all``) deep-copies every $LATEST, code and all, to rename
    its ARN: a scan every housekeeping pass took a sixteenth of the server's time under load.
    Only settings are read here, so the stored functions are read as they are."""
    for _account, _region, backend in list(lambda_backends.iter_backends()):
        for group in list(backend._lambdas._functions.values()):  # type: ignore[attr-defined]
            yield group["latest"]
            yield from list(group["versions"])


@holding_moto
def find_function(arn: str) -> LambdaFunction:
    """The function (or version) an ARN names; raises if there is none."""
    account, region, name, qualifier = parse_function_arn(arn)
    return lambda_backends[account][region].get_function(name, qualifier)


@holding_moto
def resolve_layer(layer_version_arn: str) -> tuple[str, bytes] | None:
    """(sha256 hex digest, zip bytes) of a layer version ARN, None if unknown."""
    parts = layer_version_arn.split(":")
    if len(parts) < 8 or parts[5] != "layer":
        return None
    backend = lambda_backends[parts[4]][parts[3]]
    version = backend.layers_versions_by_arn(layer_version_arn)
    if version is None or not version.code_bytes:
        return None
    return version.code_digest, version.code_bytes


@holding_moto
def find_user_pool(arn: str) -> CognitoIdpUserPool | None:
    """The user pool an ARN names (arn:aws:cognito-idp:<region>:<account>:userpool/<id>), None if there is none."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "cognito-idp" or not parts[5].startswith("userpool/"):
        return None
    # dict.get reads what exists without creating backends lazily.
    regions = dict.get(cognitoidp_backends, parts[4])
    backend = dict.get(regions, parts[3]) if regions is not None else None
    pool: CognitoIdpUserPool | None = backend.user_pools.get(parts[5].removeprefix("userpool/")) if backend else None
    return pool


@holding_moto
def find_user_pool_client(client_id: str) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient] | None:
    """The app client with this id and its pool, in any account and region; None if there is none."""
    for regions in list(dict.values(cognitoidp_backends)):
        for backend in list(dict.values(regions)):
            for pool in list(backend.user_pools.values()):
                client = pool.clients.get(client_id)
                if client is not None:
                    return pool, client
    return None


@holding_moto
def user_pool_public_keys() -> dict[str, Any]:
    """The JWKS moto publishes at every pool's /.well-known/jwks.json: one RSA key signs all of its tokens."""
    keys: dict[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")
    return keys


def prewarm_backends(region: str) -> None:
    """Build the default account's IAM backend (its ~1,600 managed policies, about a second)
    and its EC2 backend in ``region`` now, rather than in a first request."""
    iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    ec2_backends[DEFAULT_ACCOUNT_ID][region]


def unchecked_attributes(attributes: Iterable[tuple[str, Any]]) -> LimitedSizeDict:
    """An item's attributes as moto keeps them, filled without moto's size check per key (which sums
    the whole item at every key): only for attributes whose item was checked when it was written."""
    filled = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(filled, attributes)
    return filled


def registered_backends() -> list[BackendDict[Any]]:
    """moto's registry of the backends in use (``BackendDict._instances``), the list itself: a class
    attribute typed with a type variable, read here once (mypy: misc)."""
    registry: list[BackendDict[Any]] = BackendDict._instances  # type: ignore[misc]  # a type-variable class attribute
    return registry


def reset_backends(keep: frozenset[str] = frozenset()) -> None:
    """Forget every resource of every service moto has built, except the services in ``keep``."""
    for backends in list(registered_backends()):
        if backends.service_name not in keep:
            backends.clear()


def validate_openapi(api_doc: dict[str, Any]) -> None:
    """moto's own check of a body imported with failOnWarnings, with its answer (a BadRequestException)."""
    try:
        validate_openapi_spec(api_doc)
    except OpenAPIValidationError as exc:
        raise InvalidOpenAPIDocumentException(exc) from exc


def moto_version() -> str:
    return str(_moto_version)


def backends_by_service(names: set[str] | frozenset[str] = frozenset()) -> dict[str, BackendDict[Any]]:
    """Each service's backends by service name: every one built so far, and those ``names`` asks for
    (built now, so a snapshot can be restored into a process that has not used them yet)."""
    found: dict[str, BackendDict[Any]] = {}
    # get_backend is typed per literal service name, and ours come from a snapshot at run time
    # (call-overload).
    for backends in list(registered_backends()):
        found.setdefault(backends.service_name, backends)
    for name in sorted(set(names) - set(found)):
        found[name] = get_backend(name)  # type: ignore[call-overload]  # a name read at run time, not a literal
    return found
