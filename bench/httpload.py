"""A lean HTTP load for the benchmarks: client processes, each with one keep-alive connection
(the standard library's ``http.client``), posting the same JSON body back to back.

Clients in processes of their own, and a client that costs a few tens of microseconds a
request, keep the measuring from taking the cores and the interpreter lock the server needs:
the figure is the server's, not httpx's.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import time
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Load:
    url: str
    path: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]
    expected_status: int = 200


@dataclass(frozen=True)
class Result:
    per_second: float
    latencies: list[float]  # seconds


def _client(load: Load, count: int, ready: Barrier, out: Any) -> None:
    parts = urlsplit(load.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    connection.connect()
    body = json.dumps(load.body).encode()
    headers = {"Content-Type": "application/json", **load.headers}
    latencies: list[float] = []
    failures: list[str] = []
    ready.wait()  # every client connected: all start together
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        connection.request("POST", load.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        latencies.append(time.perf_counter() - t0)
        if response.status != load.expected_status:
            failures.append(f"{response.status} {payload[:200]!r}")
    finished = time.perf_counter()
    connection.close()
    out.send((started, finished, latencies, failures))


def run(load: Load, *, clients: int, count: int) -> Result:
    """``count`` requests (rounded down to a multiple of ``clients``) from ``clients``
    processes; throughput over the time from the first client's start to the last one's end."""
    context = multiprocessing.get_context("spawn")  # no inherited tokens, sockets or threads
    ready = context.Barrier(clients + 1)
    per_client = max(1, count // clients)
    pipes = [context.Pipe(duplex=False) for _ in range(clients)]
    processes = [
        context.Process(target=_client, args=(load, per_client, ready, sender), daemon=True)
        for _, sender in pipes
    ]
    for process in processes:
        process.start()
    ready.wait(timeout=60)
    reports = [receiver.recv() for receiver, _ in pipes]
    for process in processes:
        process.join()
    failures = [failure for *_, failed in reports for failure in failed]
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    elapsed = max(r[1] for r in reports) - min(r[0] for r in reports)
    return Result(per_client * clients / elapsed, [x for r in reports for x in r[2]])
