"""A real HTTP SMS / voice gateway for the outbox tests: it accepts POSTs, de-duplicates them
by ``Idempotency-Key`` (as real gateways do), and can be told to fail, or to hang before or
after accepting a message, to stage crashes of the sender."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Gateway:
    #: answer 500 to this many requests first
    fail_first: int = 0
    #: block the first request *before* accepting it (the message is not delivered)
    hang_before_accept: bool = False
    #: accept the first request, then block before answering (delivered, unconfirmed)
    hang_after_accept: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)
    hanging: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Gateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                with gateway._lock:
                    gateway.requests.append({"key": key, **body})
                    first = len(gateway.requests) == 1
                    failing = len(gateway.requests) <= gateway.fail_first
                if failing:
                    self._answer(500)
                    return
                if first and gateway.hang_before_accept:
                    gateway.hanging.set()
                    gateway.release.wait(30)
                    return  # the sender is gone; nothing was accepted
                with gateway._lock:
                    gateway.delivered.setdefault(key, body)
                if first and gateway.hang_after_accept:
                    gateway.hanging.set()
                    gateway.release.wait(30)
                    return
                self._answer(200)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
