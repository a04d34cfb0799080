"""Day-two operations against any deployed environment, reading only build/<env>/outputs.json.

``make redrive`` and ``make replay-failures`` run ``python -m tooling.ops``; ``target`` is the
environment as the commands see it, ``redrive`` and ``replay`` the two operations.
"""
