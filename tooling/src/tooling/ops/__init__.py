"""Day-two operations against any deployed environment, reading only build/<env>/outputs.json.

``make status``, ``logs``, ``trace``, ``redrive`` and ``replay-failures`` run ``python -m tooling.ops``;
``target`` is the environment as the commands see it, one module per operation.
"""
