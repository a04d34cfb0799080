"""Event source mappings: one poller per mapping (SQS, Kinesis, DynamoDB streams),
batch item failures and filter criteria, as Lambda's pollers apply them."""
