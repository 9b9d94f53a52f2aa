"""The queue SQLite's writers wait in, across the threads and the processes of a deployment.

SQLite lets one transaction write at a time. A second writer that finds the database locked
polls in SQLite's busy handler, whose sleeps grow from one to a hundred milliseconds: the
losers sleep long after the winner committed, and late-comers overtake them (p99 latencies near
a second, bench/transfers.py). Writers of netbank therefore queue before they begin:

* the threads of one process on a lock, handed to the next waiter the moment it is released;
* the processes (the workers of ``netbank serve --workers N``, the command line, scheduled jobs)
  on an advisory ``flock`` of a file beside the database, which the kernel hands to the next
  waiter at once and drops if its holder dies.

SQLite's own busy timeout stays as the last guard, for writers that do not queue here (another
program opening the file, a migration).

The wait between processes has no time limit: a writer waits as long as the one before it
takes. A writer that hangs inside its transaction (an HSM that stops answering, say) holds the
others up; it held SQLite's write lock anyway, where they used to give up after the busy
timeout (503 SERVICE_BUSY) instead.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

#: How long a writer waits for the other threads of its process; after that it goes on
#: unqueued, to SQLite's own busy timeout.
THREAD_WAIT_SECONDS = 30.0


class WriterQueue:
    """Re-entrant within a thread: a nested writing unit of work does not wait for itself."""

    def __init__(self, lock_path: Path | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0  # changed only by the thread holding ``_threads``
        self._lock_path = lock_path
        self._fd: int | None = None
        self._fd_pid: int | None = None

    def acquire(self) -> bool:
        """Wait for this process's other writers, then the other processes'. True once held;
        False if the threads' wait timed out (the caller goes on unqueued)."""
        if not self._threads.acquire(timeout=THREAD_WAIT_SECONDS):
            return False
        try:
            if self._depth == 0 and self._lock_path is not None:
                fcntl.flock(self._file(self._lock_path), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _file(self, lock_path: Path) -> int:
        # An flock belongs to the open file: a forked child opens its own, or it would share
        # its parent's place in the queue.
        if self._fd is None or self._fd_pid != os.getpid():
            self._fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._fd_pid = os.getpid()
        return self._fd

    def close(self) -> None:
        if self._fd is not None and self._fd_pid == os.getpid():
            os.close(self._fd)
        self._fd = None


def lock_path_for(database: str | None) -> Path | None:
    """The queue's file for an SQLite database file; None for an in-memory database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + "-writers")
