"""A warm Lambda execution environment: one Python process per function.

The executor starts it as ``python -I -m localcloud.awslambda.worker``
(isolated mode), so the process sees neither the caller's PYTHON* variables nor
its working directory on sys.path; it is found in the installed package, and
then puts the function's own code directory first, as /var/task is on AWS. It
imports only the standard library (and the package's ``__init__`` files, which
import nothing), and it also defines the wire format the executor speaks to it.

Wire format, both directions: a message is two frames, each a 4-byte
big-endian length and that many bytes; the first frame is a small JSON object
(metadata), the second is the raw payload (the event, or the handler's JSON
result). Keeping the payload out of the metadata avoids escaping it twice.

Requests come on stdin, replies go out on the original stdout. The handler's
own stdout and stderr are captured per invocation and sent back as ``logs``;
anything written to file descriptor 1 or 2 directly ends up in the server's log.

An invocation's metadata may carry an injected fault (``localcloud.chaos``),
``{"effect": "crash" | "timeout" | "error", "phase": "request" | "response"}``,
carried out here, in the process, so the executor sees and reports it exactly
as a real one: ``crash`` exits the process (Runtime.ExitError), ``timeout``
sleeps past the deadline (the executor kills the worker: Sandbox.Timedout),
``error`` raises InjectedFault (an Unhandled function error). Phase
``request`` does it instead of running the handler; ``response`` after the
handler ran, so its effects happened but its result is lost.
"""

from __future__ import annotations

import decimal
import importlib
import io
import json
import logging
import os
import struct
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any

FRAME = struct.Struct(">I")
# The exit status of a worker crashed by an injected fault.
CRASH_EXIT_STATUS = 1
# A worker told to time out sleeps this long past its deadline; the executor kills it first.
TIMEOUT_OVERRUN_SECONDS = 60.0

Handler = Callable[[Any, Any], Any]
# How the executor hands the worker its layers' directories (removed before the handler loads).
LAYER_PATHS_VARIABLE = "_LOCALCLOUD_LAYER_PATHS"


def encode_message(meta: dict[str, Any], payload: bytes = b"") -> bytes:
    head = json.dumps(meta, separators=(",", ":")).encode()
    return b"".join((FRAME.pack(len(head)), head, FRAME.pack(len(payload)), payload))


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) < size:
        raise EOFError("executor closed the pipe")
    return data


def read_message(stream: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    (head_len,) = FRAME.unpack(_read_exact(stream, FRAME.size))
    meta = json.loads(_read_exact(stream, head_len))
    (body_len,) = FRAME.unpack(_read_exact(stream, FRAME.size))
    return meta, _read_exact(stream, body_len) if body_len else b""


class _Capture(io.TextIOBase):
    """sys.stdout and sys.stderr for the handler: one persistent object whose
    buffer is emptied per invocation. It must stay the same object because
    loggers (Powertools, logging.StreamHandler) keep the stream they saw at
    import time."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[str] = []
        self.buffer = _BytesSink(self)

    @property
    def encoding(self) -> str:  # type: ignore[override]  # read-only in io.TextIOBase
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        # Code that needs a real descriptor writes straight to the server's log.
        return 2

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text


class _BytesSink(io.RawIOBase):
    """sys.stdout.buffer for code that writes bytes."""

    def __init__(self, capture: _Capture) -> None:
        super().__init__()
        self._capture = capture

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._capture.write(bytes(data).decode("utf-8", "replace"))
        return len(data)


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


class LambdaContext:
    """The context object of the AWS Python runtime (awslambdaric), same fields."""

    def __init__(self, request_id: str, invoked_function_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # A string, as on AWS: the runtime copies it from the environment.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.client_context = None
        self.identity = _CognitoIdentity()
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: str) -> None:
        sys.stdout.write(str(message))


class _CognitoIdentity:
    cognito_identity_id = None
    cognito_identity_pool_id = None


def error_body(exc: BaseException, request_id: str, skip_frames: int = 1) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)[skip_frames:]
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def _json_default(value: Any) -> Any:
    # The AWS runtime serialises Decimal (what boto3 returns for DynamoDB numbers).
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def load_handler(spec: str) -> Handler:
    module_name, _, attribute = spec.rpartition(".")
    if not module_name:
        raise _InitError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values to unpack")
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise _InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}") from exc
    except ImportError as exc:
        raise _InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}") from exc
    handler = getattr(module, attribute, None)
    if handler is None:
        raise _InitError("Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module_name}'")
    return handler  # type: ignore[no-any-return]


class InjectedFault(Exception):
    """The handler's error when a fault with effect "error" is injected."""


def _inject(fault: dict[str, str], context: LambdaContext) -> None:
    effect = fault["effect"]
    if effect == "crash":
        os._exit(CRASH_EXIT_STATUS)  # no cleanup, no reply: as a process killed mid-invocation
    if effect == "timeout":
        time.sleep(context.get_remaining_time_in_millis() / 1000 + TIMEOUT_OVERRUN_SECONDS)
    raise InjectedFault(f"Fault injected by the local cloud: {effect} ({fault['phase']})")


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class Worker:
    """The invoke loop; one invocation at a time, as in a Lambda sandbox."""

    def __init__(self, requests: IO[bytes], replies: IO[bytes]) -> None:
        self._requests = requests
        self._replies = replies
        self._capture = _Capture()
        self._request_filter = _RequestIdFilter()
        sys.stdout = sys.stderr = self._capture
        self._install_root_logger()

    def _install_root_logger(self) -> None:
        # The AWS runtime gives the root logger a handler with this format, so
        # logging.getLogger().warning(...) shows up and basicConfig() is a no-op.
        handler = logging.StreamHandler(self._capture)
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"
            )
        )
        handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
        handler.terminator = ""
        handler.addFilter(self._request_filter)
        logging.getLogger().addHandler(handler)

    def _send(self, meta: dict[str, Any], payload: bytes = b"") -> None:
        self._replies.write(encode_message(meta, payload))
        self._replies.flush()

    def serve(self, handler_spec: str) -> None:
        try:
            handler = load_handler(handler_spec)
        except _InitError as exc:
            error = {"errorMessage": str(exc), "errorType": exc.error_type, "requestId": "", "stackTrace": []}
            self._send(
                {"ok": False, "logs": self._capture.take() + f"[ERROR] {exc.error_type}: {exc}\n"},
                json.dumps(error).encode(),
            )
            return
        except Exception as exc:  # an exception raised while importing the module
            error = error_body(exc, "", skip_frames=0)
            self._send({"ok": False, "logs": self._capture.take() + traceback.format_exc()}, json.dumps(error).encode())
            return
        self._send({"ok": True, "pid": os.getpid(), "logs": self._capture.take()})
        while True:
            try:
                meta, payload = read_message(self._requests)
            except EOFError:
                return
            self._send(*self._invoke(handler, meta, payload))

    def _invoke(self, handler: Handler, meta: dict[str, Any], payload: bytes) -> tuple[dict[str, Any], bytes]:
        request_id = meta["request_id"]
        self._request_filter.request_id = request_id
        os.environ["_X_AMZN_TRACE_ID"] = meta["trace_id"]
        context = LambdaContext(request_id, meta["invoked_function_arn"], meta["deadline_ms"])
        fault: dict[str, str] | None = meta.get("fault")
        try:
            if fault is not None and fault["phase"] == "request":
                _inject(fault, context)
            result = handler(json.loads(payload), context)
            if fault is not None and fault["phase"] == "response":
                _inject(fault, context)
        except Exception as exc:
            body = error_body(exc, request_id)
            frames = "".join(body["stackTrace"])
            self._capture.write(
                f"[ERROR] {body['errorType']}: {body['errorMessage']}\nTraceback (most recent call last):\n{frames}"
            )
            return {"ok": False, "logs": self._capture.take()}, json.dumps(body).encode()
        try:
            output = json.dumps(result, ensure_ascii=False, default=_json_default).encode()
        except (TypeError, ValueError) as exc:
            body = {
                "errorMessage": f"Unable to marshal response: {exc}",
                "errorType": "Runtime.MarshalError",
                "requestId": request_id,
                "stackTrace": [],
            }
            return {"ok": False, "logs": self._capture.take()}, json.dumps(body).encode()
        return {"ok": True, "logs": self._capture.take()}, output


def _prepare_sys_path() -> None:
    # Layers come after the function's own code, as /opt/python does on AWS.
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    layers = os.environ.pop(LAYER_PATHS_VARIABLE, "")
    sys.path[:0] = [task_root, *(p for p in layers.split(os.pathsep) if p)]


def main() -> None:
    # Keep the protocol off descriptors 0 and 1: the handler and libraries it
    # calls may read stdin or write to descriptor 1; those go to /dev/null and
    # to the server's log (descriptor 2) instead.
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    _prepare_sys_path()
    Worker(requests, replies).serve(os.environ["_HANDLER"])


if __name__ == "__main__":
    main()
