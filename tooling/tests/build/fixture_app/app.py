"""Smallest Chalice app with the shapes the real one has.

It has one route (the "api" Lambda) and two pure Lambda functions, one of
them named differently from its Python function, so that handlers.json must
use Chalice's handler string and not the name.
"""

from typing import Any

from chalice.app import Chalice

# mypy resolves `chalicelib` to chalice_app/chalicelib (mypy_path), not to this
# fixture's own package; at run time the fixture's directory comes first.
from chalicelib.greeting import greeting  # type: ignore[import-not-found]

app = Chalice(app_name="fixture")


@app.route("/hello")
def hello() -> dict[str, str]:
    return {"message": greeting()}


@app.lambda_function(name="worker")
def worker_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return event


@app.lambda_function()
def cleanup(event: dict[str, Any], context: Any) -> None:
    return None
