"""``make chaos``: a seeded load-and-fault run against a deployed stack that proves the delivery invariants.

    python -m tooling.chaos --outputs build/<env>/outputs.json [--seed N] [--events 2000]
        [--concurrency 8] [--no-faults] [--window-seconds 6] [--settle-seconds 600] [--closing-round]

One run, in four phases, everything reached through ``outputs.json`` (so it runs against the
local cloud, LocalStack or AWS alike):

1. **load** (``load``): a seeded plan of events over about 50 subjects (one hot subject takes a
   fifth), posted through both gateways by CONCURRENCY threads, with Idempotency-Keys on a
   quarter, deliberate client retries (a replay of a key after its 201, a retry after a reply the
   client abandoned) and the retries every 429 and 503 asks for;
2. **faults** (``faults``): during the load, windows of a seeded schedule open and close fault
   rules through the local cloud's (LocalStack-compatible) fault API, and one poison message is
   put on the standard queue (``--closing-round``: each subject's last event waits until every
   fault is cleared; by default the reconciler alone repairs what the faults left at a subject's end);
3. **settle** (``settle``): faults cleared, the schedules fired (``/_localcloud/tick``) until the
   pipeline is idle or a deadline passes, while a monitor samples the ordered lanes' cursors
   from the start of the run to time each event's settling;
4. **check and report** (``invariants``, ``report``, ``plot``): every invariant, from the table
   and the API, with the event ids of each violation; ``build/reports/chaos.json`` and
   ``chaos.png``; exit 1 on any violation, transport error or unexpected status.

``invariants`` is pure and has no dependency on this package's other modules, so integration
tests can check the same things on data of their own.
"""
