"""What a fork changes to cut a cost line: advice keyed by line id, most specific prefix first.

Each lever names the Terraform setting (or, where none exists yet, the code or module change) that lowers
the line, and why. ``lever_for`` returns the advice of the longest matching prefix.
"""

from __future__ import annotations

LEVERS: dict[str, str] = {
    "lambda.publisher": (
        "The publisher runs once per batch of new events: its stream mapping's filter already drops the other "
        "7 or so records an event writes. stream_maximum_batching_window_in_seconds > 0 puts more new events "
        "in each invocation; architecture = arm64 cuts GB-s by 20 %."
    ),
    "lambda": (
        "architecture = arm64 (20 % less per GB-s, same request price); memory_size down where the function "
        "mostly waits on AWS calls (GB-s = memory x duration); larger batches per invocation for the consumers."
    ),
    "apigateway": (
        "An HTTP API costs 1.00 USD per million instead of 3.50, but the stack builds REST APIs for API keys, "
        "usage plans and request validation; the cheaper lever is fewer requests (batch accepts in the client)."
    ),
    "dynamodb.write": (
        "Fewer items per accept transaction (the pointer and the idempotency key cost 2 write units each as "
        "transactional items), fewer 'pending' index rewrites (the head is rewritten in the index by every "
        "accept), or table_billing_mode = PROVISIONED with autoscaling once traffic is steady."
    ),
    "dynamodb.read": "Eventually consistent reads where the code does not need the latest write (half the units).",
    "sns": "Publish in batches (PublishBatch, up to 10 messages per request) from the publisher.",
    "sqs": (
        "Larger batches per invocation (queue_batch_size, and a batching window on the standard queue); the "
        "idle long polls are fixed per event source mapping."
    ),
    "kinesis.on_demand": (
        "stream_mode = PROVISIONED with stream_shard_count = 1 costs 0.015 USD an hour instead of the "
        "on-demand stream's 0.04 USD, and one shard takes 1,000 records a second."
    ),
    "kinesis.provisioned": "Fewer shards (stream_shard_count); on-demand only pays off at steady high volume.",
    "logs": (
        "log_level = INFO or WARNING (dev logs at DEBUG); fewer and shorter log lines per record; the API "
        "access-log format has 18 fields."
    ),
    "kms": (
        "A longer kms_data_key_reuse_period_seconds on the queues (messaging module, default 300 s); the "
        "key-month itself is fixed."
    ),
    "xray": (
        "Active tracing with the default rule records almost every invocation at low traffic. Set the functions' "
        "tracing_mode to PassThrough (a functions-module variable the stack does not expose yet), or add an "
        "X-Ray sampling rule with a smaller reservoir and rate."
    ),
    "vpc": (
        "The interface endpoints cost the same at 1 or 100 million events: 3 services x az_count AZs x 730 h. "
        "A dev fork can run the functions outside the VPC (no endpoints) or use fewer zones."
    ),
    "cloudwatch": "Fixed per alarm; drop alarms a dev environment does not act on.",
    "eventbridge": "Free; the reconciler's own Lambda lines are what its schedule costs.",
}


def lever_for(line_id: str) -> str:
    matches = [prefix for prefix in LEVERS if line_id == prefix or line_id.startswith(prefix + ".")]
    if not matches:
        return "No lever recorded for this line."
    return LEVERS[max(matches, key=len)]
