"""Cost and capacity of the events service "on paper", from measurements.

    python -m tooling.cost [--env dev --env prod] [--markdown]     (what `make cost` runs)

Three inputs, each owned elsewhere and read, never re-implemented:

* the handlers' measured CPU time, AWS calls, request units and log bytes per invocation
  (``build/bench/results.json``, section ``handlers``, written by ``make bench``) - ``measurements``;
* the environment's settings from Terraform itself (the stack's ``sizing`` output) - ``sizing``;
* prices, quotas and every assumption, in one data file with sources and dates - ``prices.json``, ``data``.

``model`` turns them into cost lines per accepted event (pure arithmetic: ``duration`` is the Lambda
duration model, ``usage`` what each function does per event, ``lines``, ``messaging`` and ``observability``
the lines per service), ``capacity`` into the events per second each stage sustains, ``levers`` says what a
fork changes to cut a line, and ``report`` renders text, Markdown and JSON
(``build/reports/cost-<env>.{json,md}``).
"""
