"""Builds the app's objects lazily, once per execution environment.

Imports stay cheap: nothing touches AWS or reads settings at import time, and the
event-handler modules (Powertools batch processing among them) are imported by
the factory that needs them, so the `api` function's cold start never pays for
them. Tests call reset() after changing the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from chalicelib import aws
from chalicelib.keys import KeyStore
from chalicelib.repository import EventsRepository
from chalicelib.service import EventService
from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.consumers import Consumers
    from chalicelib.lanes import Lanes
    from chalicelib.publishing import Publisher
    from chalicelib.reconcile import Reconciler

SERVICE_NAME = "events"


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_environ()


@lru_cache(maxsize=1)
def logger() -> Logger:
    return Logger(service=SERVICE_NAME)


@lru_cache(maxsize=1)
def repository() -> EventsRepository:
    return EventsRepository(aws.client("dynamodb"), settings().events_table_name)


@lru_cache(maxsize=1)
def keys() -> KeyStore:
    """The secret keys (``keys``), each read once per execution environment on first use."""
    return KeyStore(aws.client("dynamodb"), settings().events_table_name)


@lru_cache(maxsize=1)
def event_service() -> EventService:
    return EventService(repository(), keys(), idempotency_ttl_seconds=settings().idempotency_ttl_seconds)


@lru_cache(maxsize=1)
def publisher() -> Publisher:
    from chalicelib.publishing import Publisher

    config = settings()
    return Publisher(
        aws.client("sns"),
        aws.client("kinesis"),
        standard_topic_arn=config.standard_topic_arn,
        fifo_topic_arn=config.fifo_topic_arn,
        stream_name=config.events_stream_name,
        logger=logger(),
        subject_hash=keys().subject_hash,
    )


@lru_cache(maxsize=1)
def lanes() -> Lanes:
    from chalicelib.lanes import Lanes

    return Lanes(aws.client("dynamodb"), repository())


@lru_cache(maxsize=1)
def consumers() -> Consumers:
    from chalicelib.consumers import Consumers

    return Consumers(
        lanes(), logger(), max_receive_count=settings().max_receive_count, subject_hash=keys().subject_hash
    )


@lru_cache(maxsize=1)
def reconciler() -> Reconciler:
    from chalicelib.timefmt import utc_now

    return reconciler_at(utc_now)


def reconciler_at(clock: Callable[[], datetime]) -> Reconciler:
    """A reconciler on the given clock (tests and operators run it as of another moment)."""
    from chalicelib.reconcile import Reconciler

    config = settings()
    return Reconciler(
        repository(),
        lanes(),
        aws.client("sqs"),
        dlq_urls=config.dlq_urls,
        stale_after_seconds=config.reconcile_after_seconds,
        logger=logger(),
        clock=clock,
    )


def reset() -> None:
    for factory in (settings, logger, repository, keys, event_service, publisher, lanes, consumers, reconciler):
        factory.cache_clear()
    aws.reset_clients()
