"""The real account checked before a first apply, read-only: ``make preflight ENV=<env>``.

A first ``terraform apply`` into a fresh account fails half-way on things no plan shows: another
account's credentials, a state bucket or key that is not there, no API Gateway CloudWatch role in
the region, a Lambda concurrency quota below what the functions reserve, a quota below the
environment's settings, a feature the region does not offer. Preflight reads each of them with the
caller's credentials (boto3's default chain; for ``ENV=local`` the local cloud's endpoint from
``AWS_ENDPOINT_URL``, as the Makefile exports it) and prints one line per check with its fix.

``settings`` asks Terraform for the environment's settings (the stack's ``sizing`` output, as the cost
model reads it, and the root's own variables) and reads the backend config; ``reads`` is every AWS
call, each a read; ``checks`` turns what was read into verdicts; ``features`` holds what no API
answers (the regions without SnapStart). Nothing here creates, changes or deletes anything.
"""
