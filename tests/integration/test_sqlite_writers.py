"""SQLite's writers queue before they begin, the threads of one process on one lock
(adapters/db/writers.py), instead of polling in SQLite's busy handler; another process's
writer (a command run beside the server) meets them in SQLite's busy timeout."""

from __future__ import annotations

import multiprocessing
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netbank.adapters.db.uow import SqlUnitOfWorkFactory
from netbank.adapters.db.writers import WriterQueue
from netbank.bootstrap import App, bootstrap
from netbank.domain.audit import verify_chain
from tests.conftest import make_settings


def _free(queue: WriterQueue) -> bool:
    """Whether a writer of another thread could take the queue now."""
    free: list[bool] = []

    def other_thread() -> None:
        got_it = queue._threads.acquire(blocking=False)
        if got_it:
            queue._threads.release()
        free.append(got_it)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join(10)
    return free == [True]


@pytest.fixture
def sqlite_state(sqlite_template: Path, tmp_path: Path) -> Iterator[App]:
    database = tmp_path / "netbank.sqlite3"
    shutil.copyfile(sqlite_template, database)
    state = bootstrap(make_settings(f"sqlite:///{database}", tmp_path))
    try:
        yield state
    finally:
        state.close()


def test_a_writing_unit_of_work_holds_the_queue_and_a_reading_one_does_not(sqlite_state: App) -> None:
    factory = sqlite_state.deps.uow
    assert isinstance(factory, SqlUnitOfWorkFactory)
    queue = factory._writers
    assert queue is not None
    with sqlite_state.deps.uow(readonly=True) as uow:
        uow.institutions.list()
        assert _free(queue)
    with sqlite_state.deps.uow() as uow:
        uow.institutions.list()
        assert not _free(queue)
    assert _free(queue)


def test_a_nested_writer_in_the_same_thread_does_not_wait_for_itself() -> None:
    queue = WriterQueue()
    assert queue.acquire()
    assert queue.acquire()
    queue.release()
    assert not _free(queue), "the outer writer still holds the queue"
    queue.release()
    assert _free(queue)


def test_a_second_thread_waits_until_the_first_releases() -> None:
    queue = WriterQueue()
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


def test_a_writer_that_waits_past_its_bound_goes_on_unqueued() -> None:
    """A writer stuck in its transaction (an HSM that stops answering) holds the others up for
    ``thread_wait`` only; they then go on to SQLite's busy timeout, holding nothing."""
    queue = WriterQueue(thread_wait=0.3)
    results: list[tuple[bool, float]] = []

    def second() -> None:
        started = time.monotonic()
        results.append((queue.acquire(), time.monotonic() - started))

    assert queue.acquire()
    thread = threading.Thread(target=second)
    thread.start()
    thread.join(20)
    assert results and not results[0][0], "a writer whose wait timed out does not hold the queue"
    assert 0.25 <= results[0][1] < 5
    queue.release()
    assert _free(queue)


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


def test_writers_of_two_processes_meet_in_the_busy_timeout_and_the_chain_never_forks(
    sqlite_state: App, tmp_path: Path
) -> None:
    """The one case of two processes on SQLite, a command writing while the server runs: they
    do not queue with each other, but each writer begins IMMEDIATE and waits in SQLite's busy
    timeout, so none fails and the audit chain never forks."""
    url = str(sqlite_state.engine.url)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_append, args=(url, str(tmp_path), who, 60)) for who in ("a", "b")]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    with sqlite_state.deps.uow(readonly=True) as uow:
        entries = list(uow.audit.entries("writers-test"))
        head_seq, head_hash = uow.audit.heads()["writers-test"]
    assert [e.chain_seq for e in entries] == list(range(1, 121))
    assert {e.actor for e in entries} == {"a", "b"}
    assert verify_chain("writers-test", entries, head_seq, head_hash) == []
