"""The queue the writing threads of a netbank process wait in on SQLite.

SQLite is netbank's embedded, single-process database (development, the demo, small
single-node installs): ``netbank serve`` runs one worker on it (``--workers N`` needs
PostgreSQL) and its threads share one ``WriterQueue``.

SQLite lets one transaction write at a time. A second writer that finds the database locked
polls in SQLite's busy handler, whose sleeps grow from one to a hundred milliseconds: the
losers sleep long after the winner committed, and late-comers overtake them (p99 latencies near
a second, bench/transfers.py). The writing units of work of one process therefore queue on a
lock before they begin, and the next waiter starts the moment the last one commits.

The wait is bounded (``THREAD_WAIT_SECONDS``): a writer that hangs inside its transaction (an
HSM that stops answering, say) holds the others up only that long, after which they go on
unqueued to SQLite's busy timeout (``engine.py``) and, if the database is still locked, answer
503 SERVICE_BUSY.

Another process writing to the same file does not queue here. A command run while the server
runs (``netbank import customers``, ``netbank outbox run``, ``netbank fincert purge`` from cron,
``netbank migrate``) and the server's writers wait for each other on SQLite's busy timeout
(30 s, ``engine.py``): they poll in the busy handler, so either may start some milliseconds
after the other committed, and one still locked out after 30 s fails (503 SERVICE_BUSY in the
server). That is the price of a second process on SQLite; several server processes need
PostgreSQL.
"""

from __future__ import annotations

import logging
import threading

#: How long a writer waits for the other threads of its process; after that it goes on
#: unqueued, to SQLite's own busy timeout.
THREAD_WAIT_SECONDS = 30.0

log = logging.getLogger(__name__)


class WriterQueue:
    """Re-entrant within a thread: a nested writing unit of work does not wait for itself."""

    def __init__(self, *, thread_wait: float = THREAD_WAIT_SECONDS) -> None:
        self._threads = threading.RLock()
        self._thread_wait = thread_wait

    def acquire(self) -> bool:
        """Wait for this process's other writers. True once held; False if the wait timed out
        (the caller goes on unqueued and must not release)."""
        if self._threads.acquire(timeout=self._thread_wait):
            return True
        log.warning(
            "an SQLite writer waited %.0f s for this process's writers; going on unqueued",
            self._thread_wait,
        )
        return False

    def release(self) -> None:
        self._threads.release()
