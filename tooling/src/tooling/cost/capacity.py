"""Capacity on paper: accepted events per second each stage sustains, for the whole stack and for one subject.

Every stage's ceiling comes from a documented AWS quota (prices.json ``quotas``, each with its source and
date) or from the Lambda duration model (``duration``) at the environment's settings (``sizing``). Consumers
are taken saturated: a full batch per invocation (queue_batch_size, stream_batch_size), their duration
extended linearly past the bench's largest measured batch. The stack's ceiling is the lowest stage; one
subject's ceiling is the lowest of the stages a single subject cannot spread over:

* the accept transaction is serialised per subject: it reads the head's ``accepted`` counter and commits
  only if it is unchanged, so at most one accept per GetItem + TransactWriteItems round trip succeeds;
* each item of the subject takes write units per event (assumptions.subject_partition_writes): the head
  2 (the transactional accept), the sequencer's lane item 2 (its transaction), the analytics lane item 1;
  one item never splits, so 1,000 WCU per partition bounds the hottest, and the whole item collection
  (the event items too) shares that partition until DynamoDB splits it for heat;
* all of a subject's stream records are in one stream shard, read by one publisher invocation at a time;
  the mapping's filter passes only new events (their INSERT), so a full batch is stream_batch_size new
  events and the other records never reach the publisher;
* a FIFO message group (= the subject) is delivered one batch at a time, so the sequencer handles a
  subject at batch size / invocation duration, and SNS and SQS FIFO cap a group at 300 messages a second;
* the Kinesis partition key is the subject: one shard, 1,000 records or 1 MB a second, one analytics
  invocation at a time.

Assumed and stated in each stage's basis: SNS delivers each FIFO message to SQS in its own SendMessage
(so a non-high-throughput FIFO queue takes 300 a second); a new on-demand table and stream have their
initial (warm) capacity; the DynamoDB stream has ``dynamodb_stream_shards`` shards; Lambda filters a
stream's records before it batches them (a matching record goes into the next batch); usage-plan throttling
applies to the one API key across both stages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tooling.cost.data import CostData, EnvAssumptions, QuotaBook
from tooling.cost.duration import FunctionModel, Invocation
from tooling.cost.measurements import HandlersBench
from tooling.cost.sizing import Sizing
from tooling.cost.usage import Usage, pending_index_writes

STACK, SUBJECT = "stack", "subject"


@dataclass(frozen=True)
class Stage:
    name: str
    scope: str
    events_per_second: float
    basis: str
    lever: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class CapacityReport:
    env: str
    stages: tuple[Stage, ...]

    def binding(self, scope: str) -> Stage:
        return min((s for s in self.stages if s.scope == scope), key=lambda s: s.events_per_second)

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)


def _concurrency(sizing: Sizing, data: CostData, name: str) -> tuple[float, str]:
    """Concurrent executions a function can reach: its reservation, or the account's unreserved pool."""
    reserved = sizing.functions[name].reserved_concurrency
    if reserved is not None:
        return float(reserved), f"reserved_concurrency {reserved}"
    account = data.quotas.value("lambda.account_concurrency")
    taken = sum(f.reserved_concurrency or 0 for f in sizing.functions.values())
    return account - taken, f"unreserved pool {account - taken:g} of the account's {account:g}"


@dataclass(frozen=True)
class _Context:
    bench: HandlersBench
    sizing: Sizing
    data: CostData
    env: str
    usage: Mapping[str, Usage]

    @property
    def q(self) -> QuotaBook:
        return self.data.quotas

    @property
    def e(self) -> EnvAssumptions:
        return self.data.assumptions.environment(self.env)

    @property
    def latency(self) -> dict[str, float]:
        return {op: float(ms) for op, ms in self.data.assumptions["latency_ms"].items()}

    def cite(self, key: str) -> tuple[str, ...]:
        return (self.q[key].cite(),)

    def model(self, name: str) -> FunctionModel:
        full_vcpu = self.q.value("lambda.full_vcpu_memory_mb")
        return FunctionModel(self.bench[name], self.sizing.functions[name].memory_size, self.latency, full_vcpu)

    @property
    def stream_batch(self) -> float:
        return float(self.sizing.stream_batch_size)

    @property
    def batches_per_shard(self) -> float:
        """Concurrent batches per stream shard: Lambda's default (1), times the stack's ParallelizationFactor."""
        return self.q.value("lambda.stream_batches_per_shard") * self.sizing.stream_parallelization_factor

    @property
    def queue_batch(self) -> float:
        return float(self.sizing.queue_batch_size)

    def publisher(self) -> Invocation:
        """A full batch: the filter lets only new events through, so stream_batch_size of them."""
        return self.model("publisher").invocation(self.stream_batch)

    def kinesis_shards(self) -> float:
        if self.sizing.stream_mode == "PROVISIONED":
            return float(self.sizing.stream_shard_count)
        return self.q.value("kinesis.on_demand_initial_mb") / self.q.value("kinesis.shard_write_mb")


def per_second(records: float, inv: Invocation) -> float:
    """Records one invocation after another handles per second."""
    return records / (inv.duration_ms / 1000)


PUBLISHER_LEVER = "stream_parallelization_factor (1 to 10, order kept per subject); stream_batch_size"


def _publisher_basis(c: _Context) -> str:
    inv = c.publisher()
    return (
        f"{c.stream_batch:g} new events per invocation (the filter drops the other stream records) "
        f"in {inv.duration_ms:.0f} ms, {c.batches_per_shard:g} invocation(s) per shard"
    )


def _publisher_per_shard(c: _Context) -> float:
    per_shard = per_second(c.stream_batch, c.publisher())
    return per_shard * c.batches_per_shard


def _api_stages(c: _Context) -> list[Stage]:
    q, sizing = c.q, c.sizing
    api = c.usage["api"]
    concurrency, how = _concurrency(sizing, c.data, "api")
    return [
        Stage(
            "API Gateway account quota",
            STACK,
            q.value("apigateway.account_rps"),
            f"{q.value('apigateway.account_rps'):,.0f} requests/s per account and Region, burst "
            f"{q.value('apigateway.account_burst'):,.0f}",
            "Service Quotas increase (not Terraform)",
            c.cite("apigateway.account_rps"),
        ),
        Stage(
            "API stage and usage-plan throttle",
            STACK,
            sizing.api_throttling_rate_limit,
            f"{sizing.api_throttling_rate_limit:g} requests/s (burst {sizing.api_throttling_burst_limit:g}) "
            "for the one API key across both stages",
            "api_throttling_rate_limit, api_throttling_burst_limit",
            ("the environment's Terraform settings (sizing)",),
        ),
        Stage(
            "api Lambda",
            STACK,
            concurrency / (api.billed_ms / 1000),
            f"{how} / {api.billed_ms:.1f} ms per request",
            "functions.api.reserved_concurrency (or the account quota); functions.api.memory_size",
            c.cite("lambda.account_concurrency"),
        ),
    ]


def _dynamodb_stages(c: _Context) -> list[Stage]:
    q, a = c.q, c.data.assumptions
    writes = sum(u.write_units for u in c.usage.values())
    reads = sum(u.read_units for u in c.usage.values())
    wru, rru = q.value("dynamodb.on_demand_initial_wru"), q.value("dynamodb.on_demand_initial_rru")
    gsi_units = pending_index_writes(c.data, c.e.alert_share)
    buckets = a.number("pending_buckets")
    return [
        Stage(
            "DynamoDB table, new on-demand",
            STACK,
            min(wru / writes, rru / reads),
            f"warm throughput {wru:,.0f} WRU/s / {writes:.2f} WRU and {rru:,.0f} RRU/s / {reads:.2f} RRU per "
            "event; on-demand then doubles its previous peak",
            "none in Terraform: pre-warm the table, or table_billing_mode = PROVISIONED",
            c.cite("dynamodb.on_demand_initial_wru"),
        ),
        Stage(
            "DynamoDB 'pending' index partitions",
            STACK,
            buckets * q.value("dynamodb.partition_wcu") / gsi_units,
            f"{buckets:g} pending_bucket values x {q.value('dynamodb.partition_wcu'):,.0f} WCU / {gsi_units:.2f} "
            "index writes per event",
            "none in Terraform: PENDING_BUCKETS in chalicelib/items.py",
            c.cite("dynamodb.partition_wcu"),
        ),
        Stage(
            "DynamoDB stream -> publisher",
            STACK,
            _publisher_per_shard(c) * c.e.dynamodb_stream_shards,
            f"{c.e.dynamodb_stream_shards} shards (assumed) x {_publisher_basis(c)}",
            PUBLISHER_LEVER,
            c.cite("lambda.stream_batches_per_shard"),
        ),
    ]


def _messaging_stages(c: _Context) -> list[Stage]:
    q, sizing = c.q, c.sizing
    if sizing.fifo_high_throughput:
        topic = q.value("sns.fifo.high_throughput_mps")
        topic_basis = f"message-group scope: {topic:,.0f} messages/s per account (us-east-1)"
        topic_cite = c.cite("sns.fifo.high_throughput_mps")
        queue = q.value("sqs.fifo.high_throughput_api_tps")
        queue_basis = f"high throughput: {queue:,.0f} SendMessage/s per queue (us-east-1)"
        queue_cite = c.cite("sqs.fifo.high_throughput_api_tps")
    else:
        by_bytes = q.value("sns.fifo.topic_mb_per_second") * 1e6 / c.e.event_bytes
        topic = min(q.value("sns.fifo.topic_mps"), by_bytes)
        topic_basis = (
            f"topic scope: {q.value('sns.fifo.topic_mps'):,.0f} messages or "
            f"{q.value('sns.fifo.topic_mb_per_second'):g} MB per second"
        )
        topic_cite = c.cite("sns.fifo.topic_mps")
        queue = q.value("sqs.fifo.api_tps")
        queue_basis = f"{queue:g} SendMessage/s per queue: SNS delivers one message per request (assumed)"
        queue_cite = c.cite("sqs.fifo.api_tps")
    stages = [
        Stage(
            "SNS standard publish",
            STACK,
            q.value("sns.standard.publish_mps"),
            f"{q.value('sns.standard.publish_mps'):,.0f} publishes/s per account (us-east-1), 1 per event",
            "Service Quotas increase (not Terraform)",
            c.cite("sns.standard.publish_mps"),
        ),
        Stage("SNS FIFO topic", STACK, topic, topic_basis, "fifo_high_throughput = true", topic_cite),
        Stage("SQS FIFO queue", STACK, queue, queue_basis, "fifo_high_throughput = true", queue_cite),
    ]
    for name in ("processor", "sequencer"):
        inv = c.model(name).invocation(c.queue_batch)
        concurrency, how = _concurrency(sizing, c.data, name)
        stages.append(
            Stage(
                f"{name} Lambda",
                STACK,
                concurrency * per_second(c.queue_batch, inv),
                f"{how} x {c.queue_batch:g} messages per {inv.duration_ms:.0f} ms",
                f"functions.{name}.reserved_concurrency, queue_batch_size",
                c.cite("lambda.account_concurrency"),
            )
        )
    return stages


def _kinesis_stages(c: _Context) -> list[Stage]:
    q, e = c.q, c.e
    shards = c.kinesis_shards()
    if c.sizing.stream_mode == "PROVISIONED":
        per_shard = min(q.value("kinesis.shard_write_records"), q.value("kinesis.shard_write_mb") * 1e6 / e.event_bytes)
        writes = shards * per_shard
        basis = f"{shards:g} shards x {per_shard:,.0f} records/s (1,000 records or 1 MB per shard)"
        lever = "stream_shard_count"
    else:
        writes = min(
            q.value("kinesis.on_demand_initial_records"), q.value("kinesis.on_demand_initial_mb") * 1e6 / e.event_bytes
        )
        basis = "new on-demand stream: 4,000 records or 4 MB per second (about 4 shards), then twice its peak"
        lever = "stream_mode (on-demand scales itself; PROVISIONED: stream_shard_count)"
    analytics = c.model("analytics").invocation(c.stream_batch)
    return [
        Stage("Kinesis stream writes", STACK, writes, basis, lever, c.cite("kinesis.shard_write_records")),
        Stage(
            "Kinesis -> analytics",
            STACK,
            shards * c.batches_per_shard * per_second(c.stream_batch, analytics),
            f"{shards:g} shards x {c.batches_per_shard:g} batch(es) x {c.stream_batch:g} records per "
            f"{analytics.duration_ms:.0f} ms",
            f"{lever}; stream_parallelization_factor; stream_batch_size",
            c.cite("lambda.stream_batches_per_shard"),
        ),
    ]


def _concurrency_stages(c: _Context) -> list[Stage]:
    q, e, sizing = c.q, c.e, c.sizing
    stages = []
    notifier = c.model("notifier").invocation(1)
    if e.alert_share > 0:
        concurrency, how = _concurrency(sizing, c.data, "notifier")
        stages.append(
            Stage(
                "notifier Lambda (alert.* only)",
                STACK,
                concurrency / (notifier.duration_ms / 1000) / e.alert_share,
                f"{how} / {notifier.duration_ms:.0f} ms, {e.alert_share:.0%} of events",
                "functions.notifier.reserved_concurrency",
                c.cite("lambda.account_concurrency"),
            )
        )
    qbatch, batch = c.queue_batch, c.stream_batch
    seconds_per_event = {
        "api": c.usage["api"].billed_ms / 1000,
        "publisher": c.publisher().duration_ms / 1000 / batch,
        "processor": c.model("processor").invocation(qbatch).duration_ms / 1000 / qbatch,
        "sequencer": c.model("sequencer").invocation(qbatch).duration_ms / 1000 / qbatch,
        "analytics": c.model("analytics").invocation(batch).duration_ms / 1000 / batch,
        "notifier": e.alert_share * notifier.duration_ms / 1000,
    }
    shared = {n: sec for n, sec in seconds_per_event.items() if sizing.functions[n].reserved_concurrency is None}
    if shared:
        account = q.value("lambda.account_concurrency")
        pool = account - sum(f.reserved_concurrency or 0 for f in sizing.functions.values())
        stages.append(
            Stage(
                "Lambda account concurrency (shared pool)",
                STACK,
                pool / sum(shared.values()),
                f"{pool:g} unreserved executions / {sum(shared.values()) * 1000:.1f} ms of execution per event "
                f"({', '.join(sorted(shared))})",
                "account concurrency quota; reserved_concurrency per function",
                c.cite("lambda.account_concurrency"),
            )
        )
    return stages


def _subject_stages(c: _Context) -> list[Stage]:
    q, e = c.q, c.e
    latency = c.latency
    round_trip = latency["dynamodb:GetItem"] + latency["dynamodb:TransactWriteItems"]
    items = {name: float(units) for name, units in c.data.assumptions["subject_partition_writes"].items()}
    hottest = max((name for name in items if name != "event items"), key=lambda name: items[name])
    collection = sum(items.values())
    wcu = q.value("dynamodb.partition_wcu")
    tx = q.value("dynamodb.transactional_write_units")
    seq = c.model("sequencer").invocation(c.queue_batch)
    analytics = c.model("analytics").invocation(c.stream_batch)
    group_tps = q.value("sqs.fifo.group_tps")
    return [
        Stage(
            "accept serialised on the subject's head",
            SUBJECT,
            1000 / round_trip,
            f"one GetItem + TransactWriteItems round trip ({round_trip:g} ms assumed) per accept; losers retry",
            "none in Terraform: the head's condition orders a subject's events (design)",
            ("assumed call latencies (prices.json assumptions.latency_ms)",),
        ),
        Stage(
            f"DynamoDB {hottest} item (one partition)",
            SUBJECT,
            wcu / items[hottest],
            f"{wcu:,.0f} WCU / {items[hottest]:g} WRU per event on the subject's hottest item "
            f"({', '.join(f'{n} {u:g}' for n, u in items.items())}; transactional writes count {tx:g})",
            "none: one item never splits (design)",
            c.cite("dynamodb.partition_wcu"),
        ),
        Stage(
            "DynamoDB subject item collection",
            SUBJECT,
            wcu / collection,
            f"{collection:g} WRU per event on the subject's partition key until DynamoDB splits the "
            "collection for heat",
            "none in Terraform",
            c.cite("dynamodb.partition_wcu"),
        ),
        Stage(
            "one stream shard -> publisher",
            SUBJECT,
            # Counted at one batch at a time whatever the factor: the conservative reading of the order
            # Lambda keeps per key.
            per_second(c.stream_batch, c.publisher()),
            f"{c.stream_batch:g} new events per invocation in {c.publisher().duration_ms:.0f} ms, one batch at a time",
            "stream_batch_size; functions.publisher.memory_size",
            c.cite("lambda.stream_batches_per_shard"),
        ),
        Stage(
            "SNS FIFO message group",
            SUBJECT,
            q.value("sns.fifo.group_mps"),
            f"{q.value('sns.fifo.group_mps'):g} messages/s per message group",
            "none (per-group quota)",
            c.cite("sns.fifo.group_mps"),
        ),
        Stage(
            "sequencer, one message group",
            SUBJECT,
            min(per_second(c.queue_batch, seq), group_tps),
            f"one batch of {c.queue_batch:g} at a time per group, {seq.duration_ms:.0f} ms; "
            f"SQS {group_tps:g} per group",
            "queue_batch_size; functions.sequencer.memory_size",
            c.cite("sqs.fifo.group_tps"),
        ),
        Stage(
            "Kinesis shard of the subject",
            SUBJECT,
            min(q.value("kinesis.shard_write_records"), q.value("kinesis.shard_write_mb") * 1e6 / e.event_bytes),
            "partition key = subject: one shard, 1,000 records or 1 MB a second",
            "none (partition key = subject)",
            c.cite("kinesis.shard_write_records"),
        ),
        Stage(
            "analytics, one shard",
            SUBJECT,
            # A subject's records share a partition key: one batch at a time whatever the factor.
            per_second(c.stream_batch, analytics),
            f"{c.stream_batch:g} records per {analytics.duration_ms:.0f} ms, one batch at a time",
            "stream_batch_size; functions.analytics.memory_size",
            c.cite("lambda.stream_batches_per_shard"),
        ),
    ]


def capacity_report(
    bench: HandlersBench, sizing: Sizing, data: CostData, env: str, usage: Mapping[str, Usage]
) -> CapacityReport:
    """Every stage's ceiling in accepted events per second, for the stack and for one subject."""
    c = _Context(bench, sizing, data, env, usage)
    stages = [
        *_api_stages(c),
        *_dynamodb_stages(c),
        *_messaging_stages(c),
        *_kinesis_stages(c),
        *_concurrency_stages(c),
        *_subject_stages(c),
    ]
    return CapacityReport(env=env, stages=tuple(stages))
