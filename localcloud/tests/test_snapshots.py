"""The local cloud's state survives a restart and can be saved and loaded by name: every resource,
item, message, stream record and checkpoint; a snapshot it cannot use is refused untouched, and a
write that fails leaves the previous snapshot whole."""

from __future__ import annotations

import json
import pickle
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
import requests
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.iam.models import IAMBackend

from localcloud import snapshots
from localcloud.moto_patches.internals import LimitedSizeDict, backends_by_service
from localcloud.settings import DEFAULT_REGION
from localcloud.testing import Cloud, read_records, running_cloud, wait_for

FUNCTIONS = Path(__file__).with_name("functions")
ACCOUNT = "123456789012"  # moto's, which every client of the local cloud gets


def _some_state(cloud: Cloud) -> dict[str, Any]:
    """A table with items and a stream, a queue with a waiting and an in-flight message, a stream of
    records, a function; returns what to find again."""
    dynamodb, sqs, kinesis = cloud.client("dynamodb"), cloud.client("sqs"), cloud.client("kinesis")
    dynamodb.create_table(
        TableName="kept",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    for n in range(3):
        dynamodb.put_item(TableName="kept", Item={"id": {"S": f"item-{n}"}, "n": {"N": str(n)}})
    url = sqs.create_queue(QueueName="kept")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="in flight")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=600)
    sqs.send_message(QueueUrl=url, MessageBody="waiting")
    kinesis.create_stream(StreamName="kept", ShardCount=1)
    kinesis.put_record(StreamName="kept", Data=b"record", PartitionKey="p")
    name, _ = cloud.function("echo", name="kept")
    kms = cloud.client("kms")
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=signing, Message=b"kept", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    return {"queue": url, "function": name, "key": signing, "signature": signature}


def _assert_state(cloud: Cloud, kept: dict[str, Any]) -> None:
    dynamodb, sqs, kinesis = cloud.client("dynamodb"), cloud.client("sqs"), cloud.client("kinesis")
    items = dynamodb.scan(TableName="kept")["Items"]
    assert sorted(item["id"]["S"] for item in items) == ["item-0", "item-1", "item-2"]
    stream_arn = dynamodb.describe_table(TableName="kept")["Table"]["LatestStreamArn"]
    streams = cloud.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    assert len(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]) == 3
    counts = sqs.get_queue_attributes(
        QueueUrl=kept["queue"], AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert counts == {"ApproximateNumberOfMessages": "1", "ApproximateNumberOfMessagesNotVisible": "1"}
    shard_id = kinesis.describe_stream(StreamName="kept")["StreamDescription"]["Shards"][0]["ShardId"]
    k_iterator = kinesis.get_shard_iterator(StreamName="kept", ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=k_iterator["ShardIterator"])["Records"]] == [b"record"]
    reply = cloud.client("lambda").invoke(FunctionName=kept["function"], Payload=b'{"k": 1}')
    assert json.loads(reply["Payload"].read())["event"] == {"k": 1}
    verified = cloud.client("kms").verify(
        KeyId=kept["key"], Message=b"kept", Signature=kept["signature"], SigningAlgorithm="RSASSA_PSS_SHA_256"
    )
    assert verified["SignatureValid"]


def test_a_restart_brings_back_every_resource_item_message_and_record(tmp_path: Path) -> None:
    with running_cloud(tmp_path, FUNCTIONS, persist=True) as cloud:
        kept = _some_state(cloud)
    assert (tmp_path / "state" / "state.pickle").is_file()

    with running_cloud(tmp_path, FUNCTIONS, persist=True) as again:
        assert again.server.restored_from == str(tmp_path / "state" / "state.pickle")
        _assert_state(again, kept)


def test_a_stream_mapping_goes_on_from_its_checkpoint_after_a_restart(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    with running_cloud(tmp_path, FUNCTIONS, persist=True) as cloud:
        kinesis = cloud.client("kinesis")
        kinesis.create_stream(StreamName="s", ShardCount=1)
        arn = kinesis.describe_stream(StreamName="s")["StreamDescription"]["StreamARN"]
        name, _ = cloud.function("recorder", env={"RECORD_FILE": str(records)})
        cloud.client("lambda").create_event_source_mapping(
            EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON", BatchSize=10
        )
        for n in range(3):
            kinesis.put_record(StreamName="s", Data=f"before-{n}".encode(), PartitionKey="p")
        wait_for(lambda: len(read_records(records)) == 3, "the first three records", timeout=20)

    with running_cloud(tmp_path, FUNCTIONS, persist=True) as again:
        again.client("kinesis").put_record(StreamName="s", Data=b"after", PartitionKey="p")
        wait_for(lambda: len(read_records(records)) >= 4, "the record put after the restart", timeout=20)

    assert [record["data"] for record in read_records(records)] == ["before-0", "before-1", "before-2", "after"]


def test_a_named_state_is_saved_and_loaded_back_in_place(cloud: Cloud) -> None:
    kept = _some_state(cloud)
    control = f"{cloud.endpoint_url}/_localcloud/snapshot"

    saved = requests.post(f"{control}/save", params={"name": "seeded"}, timeout=60).json()
    cloud.client("dynamodb").put_item(TableName="kept", Item={"id": {"S": "after-the-save"}})
    cloud.client("sqs").delete_queue(QueueUrl=kept["queue"])
    loaded = requests.post(f"{control}/load", params={"name": "seeded"}, timeout=60).json()

    assert saved["bytes"] > 0
    assert loaded["bytes"] == saved["bytes"]
    _assert_state(cloud, kept)
    missing = requests.post(f"{control}/load", params={"name": "never-saved"}, timeout=60)
    assert missing.status_code == 400
    assert "no snapshot named 'never-saved'" in missing.json()["message"]


def test_a_snapshot_of_another_moto_is_refused_and_changes_nothing(cloud: Cloud) -> None:
    _some_state(cloud)
    header = replace(snapshots.Header.current(), moto="0.0.1")
    foreign = pickle.dumps((asdict(header), {}))

    with pytest.raises(snapshots.SnapshotError, match=r"moto 0\.0\.1.*make local-reset"):
        snapshots.restore(foreign, "old.pickle")

    assert len(cloud.client("dynamodb").scan(TableName="kept")["Items"]) == 3


def test_a_failed_write_leaves_the_previous_snapshot_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.pickle"
    snapshots.write(path, b"previous")

    def crash(_: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr("localcloud.snapshots.os.fsync", crash)
    with pytest.raises(OSError, match="disk gone"):
        snapshots.write(path, b"next")

    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["state.pickle"]


@pytest.mark.parametrize("name", ["", ".hidden", "../escape", "a/b"])
def test_a_name_that_could_leave_the_snapshot_folder_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(snapshots.SnapshotError, match="letters, digits"):
        snapshots.named(tmp_path, name)


def test_a_forked_save_writes_the_running_state(cloud: Cloud, tmp_path: Path) -> None:
    kept = _some_state(cloud)
    path = tmp_path / "forked.pickle"

    snapshots.save_in_child(path)

    cloud.client("dynamodb").delete_table(TableName="kept")
    snapshots.restore(path.read_bytes(), str(path))
    _assert_state(cloud, kept)


def _unsaveable(cloud: Cloud) -> Any:
    """SQS's backend in the cloud's region, given what no pickler saves (a generator); ``del
    backend.unsaveable`` takes it away."""
    cloud.client("sqs").create_queue(QueueName="unsaveable")
    backend = backends_by_service()["sqs"][ACCOUNT][DEFAULT_REGION]
    backend.unsaveable = (n for n in range(1))
    return backend


def test_a_forked_save_that_fails_raises_the_childs_error_and_keeps_the_previous_snapshot(
    cloud: Cloud, tmp_path: Path
) -> None:
    path = tmp_path / "forked.pickle"
    snapshots.write(path, b"previous")
    _unsaveable(cloud)

    with pytest.raises(snapshots.SaveFailed, match="TypeError: cannot pickle 'generator' object"):
        snapshots.save_in_child(path)

    assert path.read_bytes() == b"previous"


def test_a_server_whose_saves_fail_says_so_in_its_health_and_a_marker_until_one_succeeds(tmp_path: Path) -> None:
    with running_cloud(tmp_path, FUNCTIONS, persist=True, snapshot_interval=0.3) as cloud:
        marker = tmp_path / "state" / "state.save-failed"
        backend = _unsaveable(cloud)

        def saves_once(key: str) -> dict[str, Any] | None:
            """The health answer's saves, once ``key`` is set in them."""
            found: dict[str, Any] = requests.get(f"{cloud.endpoint_url}/_localcloud/health", timeout=5).json()
            return found["snapshot"] if found["snapshot"][key] else None

        failing = wait_for(lambda: saves_once("consecutive_failures"), "a failed save", timeout=15)
        assert failing["failing_since"]
        assert failing["last_saved_at"] is None
        assert failing["last_error"] == "TypeError: cannot pickle 'generator' object"
        assert marker.read_text().endswith(" TypeError: cannot pickle 'generator' object\n")

        del backend.unsaveable  # the next try (the change is still unsaved) succeeds
        saved = wait_for(lambda: saves_once("last_saved_at"), "a save", timeout=15)
        assert (saved["consecutive_failures"], saved["failing_since"]) == (0, None)
        assert not marker.exists()
        assert cloud.server.settings.snapshot_path.is_file()


# -- what loads fast -------------------------------------------------------------------------------

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


@pytest.fixture
def iam_with_managed_policies(monkeypatch: pytest.MonkeyPatch) -> IAMBackend:
    """An account's IAM as the local cloud builds it (AWS's managed policies loaded), a role
    attached to one of them."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    iam = IAMBackend(region_name="global", account_id="123456789012")
    iam.create_role(
        "fn", json.dumps({"Version": "2012-10-17", "Statement": []}), "/", None, "", tags=[], max_session_duration=None
    )
    iam.attach_role_policy(BASIC_EXECUTION, "fn")
    return iam


def test_a_managed_policy_as_moto_built_is_saved_as_its_name_and_loaded_whole(
    iam_with_managed_policies: IAMBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam = iam_with_managed_policies
    before = iam.managed_policies[BASIC_EXECUTION]

    data = snapshots.dumps(iam)
    loaded: IAMBackend = snapshots.loads(data)

    policy = loaded.managed_policies[BASIC_EXECUTION]
    assert (policy.id, policy.attachment_count) == (before.id, 1)
    assert [v.document for v in policy.versions] == [v.document for v in before.versions]
    assert loaded.get_role("fn").managed_policies[BASIC_EXECUTION] is policy  # one object, as before
    assert policy in loaded.aws_managed_policies
    assert len(loaded.managed_policies) == len(iam.managed_policies) > 1000
    monkeypatch.setattr(snapshots, "_as_moto_built", lambda _: False)
    assert len(data) * 5 < len(snapshots.dumps(iam))  # each document in full is five times the bytes


def test_loaded_managed_policies_are_copies_of_their_own(iam_with_managed_policies: IAMBackend) -> None:
    data = snapshots.dumps(iam_with_managed_policies)
    first: IAMBackend = snapshots.loads(data)
    first.attach_role_policy(BASIC_EXECUTION, "fn")  # again: the count goes to 2 in this copy alone
    second: IAMBackend = snapshots.loads(data)

    assert first.managed_policies[BASIC_EXECUTION].attachment_count == 2
    assert second.managed_policies[BASIC_EXECUTION].attachment_count == 1


def test_a_managed_policy_changed_since_moto_built_it_is_saved_in_full(iam_with_managed_policies: IAMBackend) -> None:
    iam_with_managed_policies.managed_policies[BASIC_EXECUTION].tags = {"team": {"Key": "team", "Value": "a"}}

    loaded: IAMBackend = snapshots.loads(snapshots.dumps(iam_with_managed_policies))

    assert loaded.managed_policies[BASIC_EXECUTION].tags == {"team": {"Key": "team", "Value": "a"}}


def test_item_attributes_load_without_a_size_check_per_key_and_check_sizes_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attributes = LimitedSizeDict({f"a{n}": DynamoType({"S": "x" * 100}) for n in range(50)})
    data = snapshots.dumps(attributes)
    sets: list[str] = []
    checked_set = LimitedSizeDict.__setitem__

    def counting(self: LimitedSizeDict, key: str, value: Any) -> None:
        sets.append(key)
        checked_set(self, key, value)

    monkeypatch.setattr(LimitedSizeDict, "__setitem__", counting)
    loaded = snapshots.loads(data)

    assert type(loaded) is LimitedSizeDict
    assert loaded == attributes
    assert sets == []  # the item was checked when it was written: no quadratic walk per key
    with pytest.raises(ItemSizeTooLarge):
        loaded["big"] = DynamoType({"S": "x" * 410_000})


def test_a_snapshot_of_the_previous_format_loads_and_an_unknown_one_is_refused(cloud: Cloud) -> None:
    kept = _some_state(cloud)
    state = {name: dict(b) for name, b in backends_by_service().items()}
    previous = snapshots.dumps((asdict(replace(snapshots.Header.current(), format=1)), state))
    unknown = snapshots.dumps((asdict(replace(snapshots.Header.current(), format=99)), {}))

    snapshots.restore(previous, "format-1.pickle")
    _assert_state(cloud, kept)
    with pytest.raises(snapshots.SnapshotError, match=r"format 99.*reads formats 1, 2"):
        snapshots.restore(unknown, "format-99.pickle")
    _assert_state(cloud, kept)


@pytest.mark.parametrize(
    ("since_save", "since_request", "due"),
    [
        (5.0, 60.0, False),  # the interval has not passed
        (10.0, snapshots.QUIET_SECONDS, True),  # passed, and quiet
        (10.0, 0.5, False),  # passed, but requests are coming
        (10.0 * snapshots.BUSY_INTERVALS - 0.1, 0.1, False),
        (10.0 * snapshots.BUSY_INTERVALS, 0.1, True),  # busy for too long: save anyway
    ],
)
def test_a_periodic_save_waits_for_a_quiet_moment_but_not_forever(
    since_save: float, since_request: float, due: bool
) -> None:
    assert snapshots.periodic_save_due(since_save, since_request, interval=10.0) is due


def test_a_running_server_saves_a_change_once_quiet_and_not_during_traffic(tmp_path: Path) -> None:
    interval = 0.3
    with running_cloud(tmp_path, FUNCTIONS, persist=True, snapshot_interval=interval) as cloud:
        saved = cloud.server.settings.snapshot_path
        sqs = cloud.client("sqs")
        sqs.create_queue(QueueName="busy")
        # Requests every 0.2 s: never quiet, so no save before the busy limit.
        started = time.monotonic()
        while time.monotonic() - started < interval * snapshots.BUSY_INTERVALS * 0.6:
            sqs.list_queues()
            time.sleep(0.2)
        assert not saved.exists()
        # Quiet now: saved within the quiet time (and a poll of the saver).
        wait_for(saved.exists, timeout=snapshots.QUIET_SECONDS + 3)
