"""SQLite's writers queue before they begin, threads and processes alike
(adapters/db/writers.py), instead of polling in SQLite's busy handler."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netbank.adapters.db import writers
from netbank.adapters.db.writers import WriterQueue, lock_path_for
from netbank.bootstrap import App, bootstrap
from netbank.domain.audit import verify_chain
from tests.conftest import make_settings


def _free(lock_path: Path) -> bool:
    """Whether another open file of ``lock_path`` could take the lock now (an flock belongs to
    the open file, so this works within one process too)."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


@pytest.fixture
def sqlite_state(sqlite_template: Path, tmp_path: Path) -> Iterator[App]:
    database = tmp_path / "netbank.sqlite3"
    shutil.copyfile(sqlite_template, database)
    state = bootstrap(make_settings(f"sqlite:///{database}", tmp_path))
    try:
        yield state
    finally:
        state.close()


def test_the_queue_file_sits_beside_the_database() -> None:
    assert lock_path_for("/srv/netbank/netbank.sqlite3") == Path("/srv/netbank/netbank.sqlite3-writers")
    assert lock_path_for(":memory:") is None
    assert lock_path_for(None) is None


def test_a_writing_unit_of_work_holds_the_queue_and_a_reading_one_does_not(sqlite_state: App) -> None:
    lock_path = lock_path_for(sqlite_state.engine.url.database)
    assert lock_path is not None
    with sqlite_state.deps.uow(readonly=True) as uow:
        uow.institutions.list()
        assert _free(lock_path)
    with sqlite_state.deps.uow() as uow:
        uow.institutions.list()
        assert not _free(lock_path)
    assert _free(lock_path)


def test_a_nested_writer_in_the_same_thread_does_not_wait_for_itself(tmp_path: Path) -> None:
    lock_path = tmp_path / "db-writers"
    queue = WriterQueue(lock_path)
    assert queue.acquire()
    assert queue.acquire()
    queue.release()
    assert not _free(lock_path), "the outer writer still holds the queue"
    queue.release()
    assert _free(lock_path)
    queue.close()


def test_a_second_thread_waits_until_the_first_releases(tmp_path: Path) -> None:
    queue = WriterQueue(tmp_path / "db-writers")
    got_it = threading.Event()

    def second() -> None:
        queue.acquire()
        got_it.set()
        queue.release()

    assert queue.acquire()
    thread = threading.Thread(target=second)
    thread.start()
    assert not got_it.wait(0.3)
    queue.release()
    assert got_it.wait(10)
    thread.join()
    queue.close()


def _child_acquires(queue: WriterQueue, parent_holds: Any, got_it: Any) -> None:
    parent_holds.wait(10)
    queue.acquire()
    got_it.set()
    queue.release()


def test_a_forked_process_queues_behind_its_parent(tmp_path: Path) -> None:
    """A child made by fork (as some process managers do) inherits the parent's open queue
    file; it must open its own, or it would share the parent's place in the queue."""
    queue = WriterQueue(tmp_path / "db-writers")
    assert queue.acquire()  # the parent opens the queue file
    queue.release()
    context = multiprocessing.get_context("fork")
    parent_holds, got_it = context.Event(), context.Event()
    child = context.Process(target=_child_acquires, args=(queue, parent_holds, got_it))
    child.start()
    try:
        assert queue.acquire()
        parent_holds.set()
        assert not got_it.wait(0.5), "the child must wait for the parent"
        queue.release()
        assert got_it.wait(10)
    finally:
        child.join(10)
    assert child.exitcode == 0
    queue.close()


def _append(database_url: str, data_dir: str, who: str, count: int) -> None:
    state = bootstrap(make_settings(database_url, Path(data_dir)))
    try:
        for n in range(count):
            with state.deps.uow() as uow:
                uow.audit.append(
                    chain="writers-test",
                    at=state.deps.clock.now(),
                    actor=who,
                    event="test.append",
                    subject=f"{who}:{n}",
                    details={},
                )
                uow.commit()
    finally:
        state.close()


def test_writers_of_two_processes_take_turns_and_the_chain_never_forks(
    sqlite_state: App, tmp_path: Path
) -> None:
    url = str(sqlite_state.engine.url)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append, args=(url, str(tmp_path), who, 60)) for who in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with sqlite_state.deps.uow(readonly=True) as uow:
        entries = list(uow.audit.entries("writers-test"))
        head_seq, head_hash = uow.audit.heads()["writers-test"]
    assert [e.chain_seq for e in entries] == list(range(1, 121))
    assert {e.actor for e in entries} == {"a", "b"}
    assert verify_chain("writers-test", entries, head_seq, head_hash) == []


def _hold(lock_path: Path) -> int:
    """Take the queue's lock through another open file, as another process would."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _eventually(check: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def test_the_wait_for_another_process_ends_and_the_writer_goes_on_unqueued(tmp_path: Path) -> None:
    lock_path = tmp_path / "db-writers"
    queue = WriterQueue(lock_path, thread_wait=30, process_wait=0.3)
    other = _hold(lock_path)
    started = time.monotonic()
    assert not queue.acquire(), "a writer whose wait timed out does not hold the queue"
    assert 0.25 <= time.monotonic() - started < 5
    # It left the threads' queue: another thread waits its own 0.3 s, not the threads' 30 s.
    results: list[tuple[bool, float]] = []

    def another_thread() -> None:
        t0 = time.monotonic()
        results.append((queue.acquire(), time.monotonic() - t0))

    thread = threading.Thread(target=another_thread)
    thread.start()
    thread.join(20)
    assert results and not results[0][0] and results[0][1] < 5
    os.close(other)
    # The helper takes the lock for the writer that stopped waiting, then lets it go.
    assert _eventually(lambda: _free(lock_path))
    queue.close()


def test_a_writer_that_gets_the_lock_within_its_wait_holds_it(tmp_path: Path) -> None:
    lock_path = tmp_path / "db-writers"
    queue = WriterQueue(lock_path, process_wait=30)
    other = _hold(lock_path)
    threading.Timer(0.2, os.close, args=(other,)).start()
    assert queue.acquire()
    assert not _free(lock_path)
    queue.release()
    assert _free(lock_path)
    queue.close()


class _SlowToLetGo:
    """``fcntl`` for writers.py whose helper thread pauses before it lets an abandoned wait's
    lock go: it widens the moment in which a writer of the same process could take the lock."""

    LOCK_EX, LOCK_NB, LOCK_UN = fcntl.LOCK_EX, fcntl.LOCK_NB, fcntl.LOCK_UN

    @staticmethod
    def flock(fd: int, operation: int) -> None:
        if operation == fcntl.LOCK_UN and threading.current_thread().name == "sqlite-writers-queue":
            time.sleep(0.3)
        fcntl.flock(fd, operation)


def test_after_an_abandoned_wait_the_next_writer_is_not_robbed_of_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock is one per open file: the helper letting go of an abandoned wait's lock must not
    release it under a writer of the same process that took it in the meantime."""
    monkeypatch.setattr(writers, "fcntl", _SlowToLetGo)
    lock_path = tmp_path / "db-writers"
    queue = WriterQueue(lock_path, process_wait=1.0)
    other = _hold(lock_path)
    assert not queue.acquire()
    os.close(other)  # the helper now takes the lock for the abandoned wait, and lets it go
    time.sleep(0.05)
    assert queue.acquire(), "the next writer gets the lock once the other process lets go"
    time.sleep(0.5)  # the helper has let the abandoned wait's lock go by now
    assert not _free(lock_path), "still held for the writer"
    queue.release()
    assert _free(lock_path)
    # With nothing left to wait for, a writer takes the lock at once again.
    assert queue.acquire()
    assert not _free(lock_path)
    queue.release()
    queue.close()


class _InterruptedOnceSet(threading.Event):
    """A writer's wait that is interrupted just after the helper took the lock for it."""

    def wait(self, timeout: float | None = None) -> bool:
        super().wait(timeout)
        raise KeyboardInterrupt


def test_a_writer_interrupted_as_the_lock_arrives_does_not_leave_it_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock_path = tmp_path / "db-writers"
    queue = WriterQueue(lock_path, process_wait=10)
    make_wait = writers._Wait
    monkeypatch.setattr(writers, "_Wait", lambda fd: make_wait(fd, done=_InterruptedOnceSet()))
    other = _hold(lock_path)
    threading.Timer(0.1, os.close, args=(other,)).start()
    with pytest.raises(KeyboardInterrupt):
        queue.acquire()
    assert _eventually(lambda: _free(lock_path)), "nobody holds the lock the helper took"
    monkeypatch.undo()
    assert queue.acquire(), "and the process's next writer gets it"
    assert not _free(lock_path)
    queue.release()
    queue.close()
