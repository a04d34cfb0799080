"""``make bench``: the deployment's figures against their budgets (``python -m tooling.bench``).

Zip size, import time of the app over boto3, warm per-request CPU in-process, each Lambda
handler's cold start and warm cost from the deployment zip, the local cloud's executor overhead,
deploy times and gateway throughput; written to ``build/bench/results.json``. The entry point and
how the sections fit together are in ``__main__`` and ``sections``.
"""
