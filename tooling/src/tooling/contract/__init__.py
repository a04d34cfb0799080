"""``make contract-test``: Schemathesis against both gateways of a deployed stack (``python -m tooling.contract``).

The contract (contracts/openapi.yaml) and the run's settings (schemathesis.toml) are the
repository's; the deployed stack is read from its outputs.json. The in-process check of the app
alone against the same contract is a test of the app (tests/contract).
"""
