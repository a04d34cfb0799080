"""Settings the local cloud stores but does not act on are named: once in its log, always in its
health answer; settings it does honour, or values equal to what it does anyway, are not."""

from __future__ import annotations

import logging

import pytest
import requests

from localcloud import unemulated
from localcloud.moto_patches.internals import LambdaFunction
from localcloud.testing import Cloud


def _queue_arn(cloud: Cloud, name: str) -> str:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def test_unemulated_settings_are_listed_and_logged_once(cloud: Cloud, caplog: pytest.LogCaptureFixture) -> None:
    lambda_client, kinesis = cloud.client("lambda"), cloud.client("kinesis")
    plain, _ = cloud.function("echo", name="plain")
    lambda_client.create_function(
        FunctionName="traced",
        Runtime="python3.13",
        Role=cloud.role(),
        Handler="echo.handler",
        Code={"ZipFile": cloud.zip("echo")},
        TracingConfig={"Mode": "Active"},
    )
    kinesis.create_stream(StreamName="s", ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName="s")["StreamDescription"]["StreamARN"]
    windowed = lambda_client.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName=plain,
        StartingPosition="LATEST",
        TumblingWindowInSeconds=60,
        ParallelizationFactor=2,
        Enabled=False,
    )["UUID"]
    scaled = lambda_client.create_event_source_mapping(
        EventSourceArn=_queue_arn(cloud, "scaled"), FunctionName=plain, ScalingConfig={"MaximumConcurrency": 5}
    )["UUID"]
    lambda_client.create_event_source_mapping(
        EventSourceArn=_queue_arn(cloud, "ordinary"), FunctionName=plain, BatchSize=10
    )

    with caplog.at_level(logging.WARNING, logger="localcloud.unemulated"):
        cloud.server.unemulated.check()  # a housekeeping pass
        health = requests.get(f"{cloud.endpoint_url}/_localcloud/health", timeout=10).json()
        cloud.server.unemulated.check()

    named = {(item["resource"].split(" (")[0], item["setting"]) for item in health["unemulated"]}
    assert named == {
        ("function traced", "TracingConfig.Mode=Active"),
        (f"mapping {windowed}", "TumblingWindowInSeconds"),
        (f"mapping {windowed}", "ParallelizationFactor=2"),
        (f"mapping {scaled}", "ScalingConfig"),
    }
    assert all(item["instead"] for item in health["unemulated"])
    warnings = [r.getMessage() for r in caplog.records if r.name == "localcloud.unemulated"]
    assert len(warnings) == 4  # two checks, each setting told once
    assert any("ScalingConfig" in warning and scaled in warning for warning in warnings)


def test_a_scan_reads_the_functions_without_copying_them(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    lambda_client = cloud.client("lambda")
    lambda_client.create_function(
        FunctionName="versioned",
        Runtime="nodejs20.x",
        Role=cloud.role(),
        Handler="echo.handler",
        Code={"ZipFile": cloud.zip("echo")},
        Publish=True,
    )

    def refuse(*_args: object) -> None:
        raise AssertionError("a scan copied a function")

    # Housekeeping scans every pass; a copy of each function (code and all) cost the server dearly.
    monkeypatch.setattr(LambdaFunction, "__deepcopy__", refuse, raising=False)
    found = unemulated.scan()

    # $LATEST and version 1 both carry the setting; the scan names the function once.
    assert found == [unemulated.Unemulated("function versioned", "Runtime=nodejs20.x", found[0].instead)]
