"""Command line: localcloud {up,down,status,tick,chaos,run,snapshot} [--port N] [--state-dir DIR], or free-port.

The same as `python -m localcloud`. Only `run` imports moto: the other commands answer at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from localcloud import daemon
from localcloud.chaos import client as chaos_client
from localcloud.settings import Settings, default_port

COMMANDS = {
    "up": "start in the background (or reuse a running one) and wait until healthy",
    "down": "stop the background local cloud and its Lambda workers (exit 4 if its state could not be saved)",
    "status": "print the health of the local cloud on the port (exit 3 if none, 4 if its state's saves fail)",
    "tick": "fire every enabled schedule now and print each Lambda target's result",
    "chaos": "fault injection: add '<rule or list>', list, or clear every rule and effect",
    "run": "run in the foreground (what `up` starts; for debugging)",
    "snapshot": "save the running local cloud's whole state under NAME, or load a saved one",
}
FREE_PORT = "print a free port on 127.0.0.1, for a throwaway local cloud (make e2e-local)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="localcloud", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in COMMANDS.items():
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument(
            "--port", type=int, default=None, help="port on 127.0.0.1 (default: $LOCALCLOUD_PORT or 4566)"
        )
        command.add_argument(
            "--state-dir",
            type=Path,
            default=Path("build/local"),
            help="pid file, log and unpacked code (default: build/local)",
        )
        if name == "snapshot":
            command.add_argument("action", choices=("save", "load"))
            command.add_argument("name", help="letters, digits, '-', '_' and '.'")
        if name == "chaos":
            command.add_argument("action", choices=chaos_client.ACTIONS)
            command.add_argument("rules", nargs="?", help="for add: a JSON rule or list of rules")
    commands.add_parser("free-port", help=FREE_PORT, description=FREE_PORT)
    return parser


def run(port: int, state_dir: Path) -> int:
    """Serve in the foreground until SIGTERM or SIGINT."""
    settings = Settings.from_env(port=port, state_dir=state_dir)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not settings.verbose:
        # One line per request is noise (a Terraform refresh makes hundreds).
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # moto loads only here: up/down/status/tick stay quick without it.
    from localcloud.server import LocalCloud  # noqa: PLC0415

    cloud = LocalCloud(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    cloud.start()
    state_dir.mkdir(parents=True, exist_ok=True)
    daemon.write_pid(state_dir, os.getpid())
    try:
        while not stop.wait(1.0):
            pass
    finally:
        cloud.stop()
        if daemon.read_pid(state_dir) == os.getpid():
            daemon.pid_file(state_dir).unlink(missing_ok=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "free-port":
        print(daemon.free_port())
        return 0
    port = args.port if args.port is not None else default_port()
    state_dir: Path = args.state_dir
    commands: dict[str, Callable[[], int]] = {
        "up": lambda: daemon.up(port, state_dir),
        "down": lambda: daemon.down(port, state_dir),
        "status": lambda: daemon.status(port, state_dir),
        "tick": lambda: daemon.tick(port),
        "chaos": lambda: chaos_client.main(port, args.action, args.rules),
        "run": lambda: run(port, state_dir),
        "snapshot": lambda: daemon.snapshot(port, args.action, args.name),
    }
    return commands[args.command]()


if __name__ == "__main__":
    sys.exit(main())
