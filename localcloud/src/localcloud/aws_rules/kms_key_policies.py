"""A customer managed KMS key serves an AWS service only when its key policy admits that service.

moto stores any key on a log group and delivers SNS messages and EventBridge events into any
encrypted queue. AWS asks the key first: CloudWatch Logs refuses to associate a key it may not use
with the log group (``CreateLogGroup`` with ``kmsKeyId``, ``AssociateKmsKey``), and SNS and
EventBridge cannot deliver into a queue whose key does not admit ``sns.amazonaws.com`` or
``events.amazonaws.com`` (the message is not delivered; the sender is not told). The key policy
is evaluated by ``key_policy``; IAM is not consulted, as the local cloud grants every identity.

Not enforced here, as nothing in the local cloud makes the call: CloudWatch alarm actions
(moto never publishes them) need ``cloudwatch.amazonaws.com`` in the key policy of an encrypted
alarm topic. DynamoDB, Kinesis, SQS and SNS producers, and Lambda's environment use the key
with the caller's or the function role's IAM permissions, which the root statement delegates.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.events.models import Rule
from moto.kms.models import Key, kms_backends
from moto.logs.exceptions import ResourceNotFoundException
from moto.logs.models import LogsBackend
from moto.logs.responses import LogsResponse
from moto.sns.models import Subscription
from moto.sqs.models import sqs_backends

from localcloud import aws_rules
from localcloud.aws_rules.key_policy import ServiceRequest, allows

log = logging.getLogger(__name__)


def apply() -> None:
    """Install this module's rules on moto's classes (once, from ``aws_rules.apply``)."""
    LogsBackend.create_log_group = _checked_create_log_group(LogsBackend.create_log_group)  # type: ignore[method-assign]  # a wrapper with moto's signature
    # moto has no AssociateKmsKey; a method of that name is what its dispatcher looks up.
    LogsResponse.associate_kms_key = _associate_kms_key  # type: ignore[attr-defined]  # moto's responder has no such operation
    Subscription.publish = _checked_sqs_delivery(Subscription.publish)  # type: ignore[method-assign]  # a wrapper with moto's signature
    Rule._send_to_sqs_queue = _checked_rule_to_sqs(Rule._send_to_sqs_queue)  # type: ignore[method-assign]  # a wrapper with moto's signature


def find_key(key_id: str, account_id: str, region: str) -> Key | None:
    """The key a key id, key ARN, alias or alias ARN names; an ARN names its own account and region."""
    if key_id.startswith("arn:"):
        parts = key_id.split(":", 5)
        if len(parts) == 6:
            region, account_id = parts[3], parts[4]
    try:
        backend = kms_backends[account_id][region]
        resolved = backend.any_id_to_key_id(key_id)
    except (KeyError, AttributeError, TypeError):  # no such region, alias or key
        return None
    return backend.keys.get(resolved)


def key_admits(key: Key | None, service: str, actions: tuple[str, ...], context: dict[str, str]) -> bool:
    """Whether the key exists, is enabled and its policy lets ``service`` make every call in ``actions``."""
    if key is None or key.key_state != "Enabled":
        return False
    return all(allows(key.policy, ServiceRequest(service, action, key.arn, context)) for action in actions)


# -- CloudWatch Logs ---------------------------------------------------------------------------

# CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS Key Management
# Service": "CloudWatch Logs now supports encryption context, using
# kms:EncryptionContext:aws:logs:arn as the key and the ARN of the log group as the value for that
# key." Its key policy statement grants logs.<region>.amazonaws.com kms:Encrypt*, kms:Decrypt*,
# kms:ReEncrypt*, kms:GenerateDataKey* and kms:Describe* under that condition. What the check at
# association asks for is not documented; the one call every ingestion makes, GenerateDataKey
# within the log group's context, is required here (and nothing more, so as never to refuse
# a key AWS would take).
LOGS_ACTIONS = ("kms:GenerateDataKey",)
LOGS_CONTEXT_KEY = "kms:EncryptionContext:aws:logs:arn"


class KmsKeyNotAllowed(JsonRESTError):
    """What AWS answers to CreateLogGroup and AssociateKmsKey alike (HTTP 400)."""

    code = 400

    def __init__(self, log_group_arn: str) -> None:
        super().__init__(
            "AccessDeniedException",
            f"The specified KMS key does not exist or is not allowed to be used with Arn '{log_group_arn}'",
        )


def _log_group_arn(account_id: str, region: str, name: str) -> str:
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"


def check_log_group_key(account_id: str, region: str, log_group_name: str, key_id: str) -> None:
    """CloudWatch Logs API reference, ``AssociateKmsKey``: "If you attempt to associate a KMS key
    with a log group but the KMS key does not exist or the KMS key is disabled, you receive an
    InvalidParameterException error." AWS answers ``AccessDeniedException`` with this message,
    for a key its policy does not let CloudWatch Logs use as for one that is missing (the message
    Terraform reports on a first apply), so one answer serves all three causes here.
    """
    arn = _log_group_arn(account_id, region, log_group_name)
    service = f"logs.{region}.amazonaws.com"
    if not key_admits(find_key(key_id, account_id, region), service, LOGS_ACTIONS, {LOGS_CONTEXT_KEY: arn}):
        raise KmsKeyNotAllowed(arn)


def _checked_create_log_group(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_log_group(self: LogsBackend, log_group_name: str, tags: dict[str, str], **kwargs: Any) -> Any:
        key_id = kwargs.get("kmsKeyId")
        # A name already taken is moto's answer first, as AWS's.
        if aws_rules.active() and key_id and log_group_name not in self.groups:
            check_log_group_key(self.account_id, self.region_name, log_group_name, key_id)
        return original(self, log_group_name, tags, **kwargs)

    return create_log_group


def _associate_kms_key(self: LogsResponse) -> str:
    """AssociateKmsKey for a log group: AWS's checks, then the key stored as CreateLogGroup stores it.

    With the rules off, moto's own answer: the action is not implemented.
    """
    name = self._get_param("logGroupName")
    if not aws_rules.active() or not name:
        # Query-result keys (resourceIdentifier) are not emulated either way.
        raise NotImplementedError("The associate_kms_key action has not been implemented")
    key_id = self._get_param("kmsKeyId")
    group = self.logs_backend.groups.get(name)
    if group is None:
        raise ResourceNotFoundException()
    check_log_group_key(self.current_account, self.region, name, key_id)
    group.kms_key_id = key_id
    return ""


# -- AWS services delivering to an encrypted SQS queue ----------------------------------------

# SQS developer guide, "Amazon SQS Key management" ("Configure KMS permissions for AWS
# services"): "Several AWS services act as event sources that can send events to Amazon SQS
# queues. To allow these event sources to work with encrypted queues, you must create a customer
# managed KMS key and add permissions in the key policy for the service to use the required AWS
# KMS API methods." The methods are kms:GenerateDataKey and kms:Decrypt; the service calls on
# behalf of the topic or rule (aws:SourceArn, aws:SourceAccount). AWS does not tell the sender;
# SNS developer guide, "Amazon SNS dead-letter queues": "When Amazon SNS receives a client-side
# error, or continues to receive a server-side error for a message beyond the number of retries
# specified by the corresponding retry policy, Amazon SNS discards the message—unless a
# dead-letter queue is attached to the subscription." (Subscription and rule-target dead-letter
# queues are not emulated: the local cloud discards.)
QUEUE_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def service_may_deliver(service: str, source_arn: str, queue_arn: str, key_id: str) -> bool:
    _, _, _, region, account_id, _ = queue_arn.split(":", 5)
    context = {
        "aws:SourceArn": source_arn,
        "aws:SourceAccount": source_arn.split(":")[4],
        # SQS's own encryption context names the queue.
        "kms:EncryptionContext:aws:sqs:arn": queue_arn,
    }
    return key_admits(find_key(key_id, account_id, region), service, QUEUE_ACTIONS, context)


def _refused_delivery(service: str, source_arn: str, account_id: str, region: str, queue_name: str) -> bool:
    """Whether ``service`` may not deliver for ``source_arn`` into the queue (which exists and has a key)."""
    queue = sqs_backends[account_id][region].queues.get(queue_name)
    key_id = getattr(queue, "kms_master_key_id", None)
    if not key_id:
        return False
    queue_arn = f"arn:{source_arn.split(':')[1]}:sqs:{region}:{account_id}:{queue_name}"
    if service_may_deliver(service, source_arn, queue_arn, key_id):
        return False
    log.warning(
        "%s did not deliver from %s to %s: the key policy of %s does not let %s use %s (or the key is "
        "missing or not enabled); AWS does not deliver it either",
        service,
        source_arn,
        queue_arn,
        key_id,
        service,
        " and ".join(QUEUE_ACTIONS),
    )
    return True


def _checked_sqs_delivery(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def publish(self: Subscription, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
        if not aws_rules.active() or self.protocol != "sqs":
            return original(self, message, message_id, *args, **kwargs)
        matcher = self._filter_policy_matcher
        attributes = args[1] if len(args) > 1 else kwargs.get("message_attributes")
        if matcher is not None and not matcher.matches(attributes, message):
            # Filtered out: no delivery to refuse; moto drops it as AWS does.
            return original(self, message, message_id, *args, **kwargs)
        _, _, _, region, account_id, queue_name = self.endpoint.split(":", 5)
        if _refused_delivery("sns.amazonaws.com", self.topic.arn, account_id, region, queue_name):
            return None
        return original(self, message, message_id, *args, **kwargs)

    return publish


def _checked_rule_to_sqs(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def send_to_sqs_queue(self: Rule, resource_id: str, event: dict[str, Any], group_id: str | None = None) -> None:
        if aws_rules.active() and _refused_delivery(
            "events.amazonaws.com", self.arn, self.account_id, self.region_name, resource_id
        ):
            return None
        return original(self, resource_id, event, group_id)

    return send_to_sqs_queue
