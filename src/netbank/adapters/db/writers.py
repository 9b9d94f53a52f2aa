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
program opening the file, a migration), and for writers whose wait here timed out.

Both waits are bounded (``THREAD_WAIT_SECONDS``, ``PROCESS_WAIT_SECONDS``): a writer that hangs
inside its transaction (an HSM that stops answering, say) holds the others up only that long,
after which they go on to SQLite's busy timeout and, if the database is still locked, answer
503 SERVICE_BUSY. ``flock`` itself cannot time out, so a contended wait between processes is
made by one helper thread per process (only one thread of a process waits for the file lock at
a time: the others queue on the threads' lock first); an uncontended one takes the lock at once
in the calling thread.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path

#: How long a writer waits for the other threads of its process, then for the other
#: processes; after either it goes on unqueued, to SQLite's own busy timeout.
THREAD_WAIT_SECONDS = 30.0
PROCESS_WAIT_SECONDS = 30.0

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Wait:
    """One writer's wait for the file lock, taken for it by the helper thread through a
    duplicate of the queue's file descriptor (the same open file, so the same lock), which
    stays valid should the queue close its own while the helper still waits."""

    fd: int
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    held: bool = False  # the helper took the lock for the writer
    abandoned: bool = False  # the writer stopped waiting: the helper lets the lock go again


class _FileLockWaiter:
    """The helper thread of one process that blocks in ``flock`` for the writer waiting.

    While it has waits to finish (one abandoned, say), the writers of its process queue with it
    rather than try the lock themselves: the lock is one per open file, so a writer taking it
    at once would share it with the abandoned wait that is about to let it go."""

    def __init__(self) -> None:
        self._waits: queue.SimpleQueue[_Wait | None] = queue.SimpleQueue()
        self._unfinished = 0
        self._count = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sqlite-writers-queue", daemon=True)
        self._thread.start()

    def wait(self, fd: int, timeout: float) -> bool:
        """Whether the lock on ``fd`` was taken within ``timeout`` seconds. If not, the helper
        keeps waiting and releases the lock the moment it gets it."""
        wait = _Wait(os.dup(fd))
        with self._count:
            self._unfinished += 1
        self._waits.put(wait)
        waited = False
        try:
            wait.done.wait(timeout)
            waited = True
        finally:
            with wait.lock:
                if not wait.held:
                    wait.abandoned = True
                elif not waited:  # interrupted just after the helper took it: nobody will hold it
                    fcntl.flock(fd, fcntl.LOCK_UN)
        return wait.held and waited

    @property
    def busy(self) -> bool:
        with self._count:
            return self._unfinished > 0

    def stop(self) -> None:
        """End the helper once the waits already asked for are over."""
        self._waits.put(None)

    def _run(self) -> None:
        while (wait := self._waits.get()) is not None:
            try:
                fcntl.flock(wait.fd, fcntl.LOCK_EX)
                with wait.lock:
                    if wait.abandoned:
                        fcntl.flock(wait.fd, fcntl.LOCK_UN)
                    else:
                        wait.held = True
                        wait.done.set()
            except OSError:  # no lock for the writer: it goes on unqueued when its wait ends
                pass
            finally:
                os.close(wait.fd)  # the lock stays with the queue's own descriptor
                with self._count:
                    self._unfinished -= 1


class WriterQueue:
    """Re-entrant within a thread: a nested writing unit of work does not wait for itself."""

    def __init__(
        self,
        lock_path: Path | None,
        *,
        thread_wait: float = THREAD_WAIT_SECONDS,
        process_wait: float = PROCESS_WAIT_SECONDS,
    ) -> None:
        self._threads = threading.RLock()
        self._depth = 0  # changed only by the thread holding ``_threads``
        self._lock_path = lock_path
        self._thread_wait = thread_wait
        self._process_wait = process_wait
        self._fd: int | None = None
        self._fd_pid: int | None = None
        self._waiter: _FileLockWaiter | None = None
        self._waiter_pid: int | None = None

    def acquire(self) -> bool:
        """Wait for this process's other writers, then the other processes'. True once held;
        False if either wait timed out (the caller goes on unqueued)."""
        if not self._threads.acquire(timeout=self._thread_wait):
            log.warning(
                "an SQLite writer waited %.0f s for this process's writers; going on unqueued",
                self._thread_wait,
            )
            return False
        try:
            if self._depth == 0 and self._lock_path is not None and not self._lock_file(self._lock_path):
                self._threads.release()
                log.warning(
                    "an SQLite writer waited %.0f s for another process's writer; going on unqueued",
                    self._process_wait,
                )
                return False
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1
        return True

    def _lock_file(self, lock_path: Path) -> bool:
        fd = self._file(lock_path)
        # A helper thread does not survive a fork: a child starts its own.
        if self._waiter_pid != os.getpid():
            self._waiter = None
        if self._waiter is None or not self._waiter.busy:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
        if self._waiter is None:
            self._waiter, self._waiter_pid = _FileLockWaiter(), os.getpid()
        return self._waiter.wait(fd, self._process_wait)

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
        if self._waiter is not None and self._waiter_pid == os.getpid():
            self._waiter.stop()
        self._waiter = None


def lock_path_for(database: str | None) -> Path | None:
    """The queue's file for an SQLite database file; None for an in-memory database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + "-writers")
