"""One caller at a time inside moto: the lock itself, and every request through ``serialized``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from localcloud.moto_patches.serial import MOTO, MotoLock, holding_moto, serialized
from localcloud.testing import Cloud


class CountingApp:
    """A WSGI app that records how many requests it was serving at once."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.02)
        with self._lock:
            self.active -= 1
        start_response("200 OK", [])
        return iter([b"o", b"k"])


def test_requests_reach_moto_one_at_a_time_with_their_whole_body() -> None:
    inner = CountingApp()
    app = serialized(inner)
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: app({}, lambda *a: None), range(8)))
    assert inner.peak == 1
    assert all(body == [b"o", b"k"] for body in bodies)  # materialised inside the lock


def another_thread_takes(lock: MotoLock) -> tuple[threading.Thread, threading.Event]:
    """A thread started now that takes ``lock``; the event is set once it has it."""
    got_it = threading.Event()

    def take() -> None:
        with lock:
            got_it.set()

    thread = threading.Thread(target=take)
    thread.start()
    return thread, got_it


def test_the_holder_takes_it_again_and_others_wait() -> None:
    lock = MotoLock()
    with lock, lock:
        assert lock.held()
        thread, other_got_it = another_thread_takes(lock)
        assert not other_got_it.wait(0.2)
    assert other_got_it.wait(2)
    thread.join()
    assert not lock.held()


def test_released_sets_it_down_for_others_and_takes_it_back_at_the_same_depth() -> None:
    lock = MotoLock()
    with lock:
        with lock:
            with lock.released():
                assert not lock.held()
                thread, other_got_it = another_thread_takes(lock)
                assert other_got_it.wait(2)  # would wait forever with the lock still held
                thread.join()
            assert lock.held()
        assert lock.held()  # the depth came back whole: the outer block still holds it
    assert not lock.held()


def test_released_without_holding_it_is_a_plain_block() -> None:
    lock = MotoLock()
    with lock.released():
        assert not lock.held()
    with lock:
        assert lock.held()


def test_holding_moto_runs_the_function_with_the_lock() -> None:
    @holding_moto
    def inside() -> bool:
        return MOTO.held()

    assert not MOTO.held()
    assert inside()
    assert not MOTO.held()


def test_a_long_poll_lets_the_message_it_waits_for_arrive(cloud: Cloud) -> None:
    """ReceiveMessage waits inside moto; holding the lock there, the SendMessage it waits for could not run."""
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="long-poll")["QueueUrl"]
    received: list[list[dict[str, Any]]] = []
    poll = threading.Thread(
        target=lambda: received.append(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", []))
    )
    poll.start()
    time.sleep(0.5)  # the poll is waiting in moto
    cloud.client("sqs").send_message(QueueUrl=url, MessageBody="awaited")
    poll.join(15)
    assert [m["Body"] for m in received[0]] == ["awaited"]
