"""Service Quotas answers for the quotas a stack's preflight reads, from the local account.

moto's Service Quotas knows VPC's quotas alone and answers every other ``GetServiceQuota`` with
``NoSuchResourceException``, so a check of the account before an apply could only say "not
checked" here. While the rules hold, two more are answered as a new account's:

- Lambda's "Concurrent executions" (``L-B99A9384``): the account's limit, the same number
  ``GetAccountSettings`` gives (``Account.lambda_concurrency_limit``).
- API Gateway's "Throttle rate" (``L-8A5B8E43``): "10,000 requests per second (RPS) ... For the
  following Regions, the default throttle quota is 2500 RPS" (API Gateway developer guide,
  "Amazon API Gateway quotas"; the regions below are that page's list).

Any other quota keeps moto's answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.servicequotas.models import ServiceQuotasBackend

from localcloud import aws_rules

LAMBDA_CONCURRENCY = ("lambda", "L-B99A9384")
API_GATEWAY_THROTTLE_RATE = ("apigateway", "L-8A5B8E43")
API_GATEWAY_RATE = 10_000.0
API_GATEWAY_REDUCED_RATE = 2_500.0
# Cape Town, Milan, Jakarta, UAE, Hyderabad, Melbourne, Spain, Zurich, Tel Aviv, Calgary, Malaysia,
# Thailand, Mexico (Central).
API_GATEWAY_REDUCED_RATE_REGIONS = frozenset(
    {
        "af-south-1",
        "eu-south-1",
        "ap-southeast-3",
        "me-central-1",
        "ap-south-2",
        "ap-southeast-4",
        "eu-south-2",
        "eu-central-2",
        "il-central-1",
        "ca-west-1",
        "ap-southeast-5",
        "ap-southeast-7",
        "mx-central-1",
    }
)


def _quota(
    backend: ServiceQuotasBackend, service: str, code: str, name: str, service_name: str, value: float
) -> dict[str, Any]:
    return {
        "Adjustable": True,
        "GlobalQuota": False,
        "QuotaArn": f"arn:aws:servicequotas:{backend.region_name}:{backend.account_id}:{service}/{code}",
        "QuotaCode": code,
        "QuotaName": name,
        "ServiceCode": service,
        "ServiceName": service_name,
        "Unit": "None",
        "Value": value,
    }


def _account_quotas(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def get_service_quota(self: ServiceQuotasBackend, service_code: str, quota_code: str) -> dict[str, Any]:
        if not aws_rules.active():
            return original(self, service_code, quota_code)
        if (service_code, quota_code) == LAMBDA_CONCURRENCY:
            limit = float(aws_rules.account().lambda_concurrency_limit)
            return _quota(self, *LAMBDA_CONCURRENCY, "Concurrent executions", "AWS Lambda", limit)
        if (service_code, quota_code) == API_GATEWAY_THROTTLE_RATE:
            rate = (
                API_GATEWAY_REDUCED_RATE if self.region_name in API_GATEWAY_REDUCED_RATE_REGIONS else API_GATEWAY_RATE
            )
            return _quota(self, *API_GATEWAY_THROTTLE_RATE, "Throttle rate", "Amazon API Gateway", rate)
        return original(self, service_code, quota_code)

    return get_service_quota


def apply() -> None:
    """Install this module's answers on moto's classes (once, from ``aws_rules.apply``)."""
    ServiceQuotasBackend.get_service_quota = _account_quotas(ServiceQuotasBackend.get_service_quota)  # type: ignore[method-assign]  # the patch
