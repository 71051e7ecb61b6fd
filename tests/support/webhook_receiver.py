"""A real local HTTP receiver for webhooks (http.server in a thread): it records every POST and
answers with the statuses the test scripts (then 200). Used by the webhook integration tests,
the worker-process tests and the Playwright test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (then 200); `gate`, when set, makes every
    request wait until the test opens it; `hook`, when set, is called with each request (in
    the request's thread) before it is answered."""

    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    gate: threading.Event | None = None
    location: str = ""
    port: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    hook: Callable[[Received], None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def by_webhook_id(self) -> dict[str, list[Received]]:
        """The requests grouped by their `webhook-id` (retries of one delivery share it)."""
        found: dict[str, list[Received]] = {}
        for request in list(self.requests):
            found.setdefault(request.headers.get("webhook-id", ""), []).append(request)
        return found


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length).decode()
            received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            receiver.requests.append(received)
            receiver.arrived.set()
            if receiver.hook is not None:
                receiver.hook(received)
            if receiver.gate is not None:
                receiver.gate.wait(30)
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            if receiver.location:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def receiving(**kw) -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port) while the block runs."""
    with receivers() as start:
        yield start(**kw)


@contextmanager
def receivers() -> Iterator:
    """`start(**kw)` starts another receiver; all are shut down when the block ends."""
    servers: list[ThreadingHTTPServer] = []

    def start(**kw) -> Receiver:
        receiver = Receiver(**kw)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
        server.daemon_threads = True
        receiver.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return receiver

    try:
        yield start
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
