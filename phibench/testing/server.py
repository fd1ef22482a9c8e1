"""A real HTTP server on 127.0.0.1 that plays a remote model, for tests and benchmarks.

Subclasses speak one wire protocol (:mod:`.openai_server`, :mod:`.anthropic_server`); this
module holds what they share: the threaded server on an ephemeral port, started and stopped as a
context manager; what it received (every :class:`Request`, the image of each, the highest number
of requests in flight at once); and the :class:`Reply` a *behaviour* chooses for each request —
an answer, or one of the faults a real endpoint shows: 429 with Retry-After, 5xx, a hang longer
than the client's timeout, a connection dropped without a response, a malformed body, a refusal,
an answer cut at max tokens, an empty answer. Every response carries ``x-phibench-simulated: 1``
so that clients can label a run measured against it as simulated.

A behaviour is any callable ``Request -> Reply``; :mod:`.rules` has scripted ones and a rule that
answers from ground truth with a configurable error rate.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from phibench.simulated import HEADER
from phibench.testing.replies import Behaviour, Reply, Request, image_key

SIMULATED_HEADER = HEADER


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 512  # a burst of 64+ new connections must not overflow the backlog
    allow_reuse_address = True
    fake: "FakeServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out or hang up are part of the show


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # headers and body go out in one write, without Nagle's delay (40 ms per response otherwise)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self.server.fake._handle(self)

    def do_GET(self) -> None:  # noqa: N802
        self.server.fake._write(self, 404, {"error": {"message": "not found"}})


class FakeServer:
    """Base of the protocol servers. ``with OpenAIChatServer(behaviour) as srv: srv.base_url``."""

    protocol: ClassVar[str] = ""

    def __init__(self, behaviour: Behaviour | Reply | str | None = None, *, latency_s: float = 0.0,
                 hang_s: float = 30.0, keep_bodies: bool = True, port: int = 0) -> None:
        if behaviour is None or isinstance(behaviour, str):
            behaviour = Reply.answer(behaviour or '{"text": [], "phi": [], "has_phi": false}')
        if isinstance(behaviour, Reply):
            fixed = behaviour
            behaviour = lambda request: fixed  # noqa: E731
        self.behaviour: Behaviour = behaviour
        self.latency_s, self.hang_s, self.keep_bodies = latency_s, hang_s, keep_bodies
        self.requests: list[Request] = []
        """Every request received, with its body and image unless ``keep_bodies`` is false."""
        self.errors: list[BaseException] = []
        """Exceptions raised by the behaviour (a bug in a test), answered with HTTP 500."""
        self.in_flight = 0
        self.max_in_flight = 0
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self._bind_port = port
        """The port to listen on; 0: a free one, chosen by the system."""

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> "FakeServer":
        self._httpd = _HTTPServer(("127.0.0.1", self._bind_port), _Handler)
        self._httpd.fake = self
        self._port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"phibench-{self.protocol}-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on (kept after :meth:`stop`, so URLs can still be named)."""
        assert self._port, "server not started"
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What a client takes as its base URL."""
        return self.root_url

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._attempts.clear()
            self.max_in_flight = 0

    # -- protocol hooks ------------------------------------------------------------------------

    def matches(self, path: str) -> bool:
        raise NotImplementedError

    def extract(self, body: dict[str, Any]) -> tuple[str, bytes, dict[str, Any]]:
        """(prompt text, image bytes, request facts such as ``detail``) of a request body."""
        raise NotImplementedError

    def render(self, request: Request, reply: Reply) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for an answer-like or status reply."""
        raise NotImplementedError

    # -- handling ------------------------------------------------------------------------------

    def _handle(self, h: _Handler) -> None:
        arrived = time.monotonic()  # latency runs from here: the server's own work hides inside it
        raw = h.rfile.read(int(h.headers.get("content-length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._write(h, 400, {"error": {"message": "request body is not JSON"}})
            return
        if not self.matches(h.path.split("?")[0]):
            self._write(h, 404, {"error": {"message": f"no route {h.path}"}})
            return
        prompt, image, _ = self.extract(body)
        key = image_key(image or prompt.encode())  # a text-only request is known by its text
        with self._lock:
            self._attempts[key] += 1
            headers = {k.lower(): v for k, v in h.headers.items()}
            req = Request(len(self.requests) + 1, h.path, headers, body, str(body.get("model", "")),
                          prompt, image, key, self._attempts[key], time.monotonic())
            self.requests.append(req)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            try:
                reply = self.behaviour(req)
            except Exception as exc:  # noqa: BLE001 - a broken rule answers 500 and is recorded
                self.errors.append(exc)
                reply = Reply.error(500)
            req.reply = reply
            status, data, extra = 0, b"", {}
            if reply.kind == "malformed":
                _, payload = self.render(req, Reply.answer('{"has_phi": false, "phi": []}'))
                status, data = 200, json.dumps(payload).encode()
                data = data[: len(data) // 2]
            elif reply.kind not in ("hang", "drop"):
                status, payload = self.render(req, reply)
                data = json.dumps(payload).encode()
                if reply.retry_after is not None:
                    extra["retry-after"] = f"{reply.retry_after:g}"
            if not self.keep_bodies:  # a long-running server keeps the facts, not the images
                req.body, req.image = {}, b""
            delay = self.latency_s if reply.delay_s is None else reply.delay_s
            if delay > 0 and self._stop.wait(max(0.0, arrived + delay - time.monotonic())):
                return
            if reply.kind == "hang":
                self._stop.wait(self.hang_s)
            if reply.kind in ("hang", "drop"):
                h.close_connection = True
                return
            self._send(h, status, data, extra)
        finally:
            with self._lock:
                self.in_flight -= 1
                req.ended = time.monotonic()

    def _write(self, h: _Handler, status: int, payload: dict[str, Any]) -> None:
        self._send(h, status, json.dumps(payload).encode(), {})

    def _send(self, h: _Handler, status: int, data: bytes, headers: dict[str, str]) -> None:
        try:
            h.send_response(status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(data)))
            h.send_header(SIMULATED_HEADER, "1")
            for k, v in headers.items():
                h.send_header(k, v)
            h._headers_buffer.append(b"\r\n" + data)  # end_headers() with the body: one send
            h.flush_headers()
        except OSError:  # the client gave up (timeout) or hung up
            h.close_connection = True

    # -- token usage the server reports --------------------------------------------------------

    def image_tokens(self, request: Request) -> int:
        return 0

    def usage(self, request: Request, text: str) -> tuple[int, int]:
        """(input, output) tokens: about 4 characters per token, plus the image's tokens."""
        return -(-len(request.prompt) // 4) + self.image_tokens(request), max(1, -(-len(text) // 4))
