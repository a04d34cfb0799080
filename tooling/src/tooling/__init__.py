"""The events service's own tooling, one subpackage per job (each has a ``python -m`` entry point):

- ``build``: the reproducible Lambda zip (``make build``);
- ``bench``: zip size, import time, per-request and per-handler cost, local-cloud figures (``make bench``);
- ``cost``: cost per million events and capacity on paper, from the bench's figures (``make cost``);
- ``chaos``: a seeded load with faults against a deployed stack, the delivery invariants checked (``make chaos``);
- ``contract``: Schemathesis against both gateways of a deployed stack (``make contract-test``);
- ``ops``: operator commands against a deployed stack (``make redrive``, ``make replay-failures``);
- ``docs``: the Terraform modules' README tables, generated from their code (``make docs``).

``repository`` names the repository's files the tools default to; ``moto_stack`` creates the
service's resources in moto for the unit tests and the bench.
"""
