"""A real HTTP server around a :class:`MailchimpEmulator` (``ThreadingHTTPServer`` in a background thread).

An injected dropped connection closes the socket without writing a response, which ``requests``
reports as ``ConnectionError`` (as it would for a reset connection to the real API).

Every API request served is recorded in ``emulator.request_log`` (see ``request_log``: method,
path, status, the key's last four characters, start and end times), read at
``GET /_emulator/requests``. It is kept here, around the transport, so its times span the whole
request as the connection limit sees it.
"""
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional
from urllib.parse import parse_qsl, urlsplit

from .faults import EmulatorDroppedConnection
from .request_log import RequestLog
from .request_log import handle as handle_request_log


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "MailchimpEmulator/1.0"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle plus the client's delayed
        # ACK adds ~40 ms to every response (measured: 38 ms per call before, see bench notes).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        emu = self.server.emulator  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        log = emu.request_log
        entry = None
        if parts.path.startswith("/3.0"):
            entry = log.start(self.command, parts.path, emu._extract_key(self.headers.get("Authorization", "")),
                              body, _body_id(self.command, body))
        elif parts.path.startswith("/_emulator/requests"):
            answer = handle_request_log(log, self.command, parts.path.rstrip("/"), dict(parse_qsl(parts.query)))
            if answer is not None:
                return self._write(*emu._respond(200, answer))
        elif parts.path.rstrip("/") == "/_emulator/reset" and self.command == "POST":
            log.reset()
        status = 0
        try:
            status, headers, payload = emu.handle(self.command, parts.path, parts.query, dict(self.headers), body)
        except EmulatorDroppedConnection:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        finally:
            if entry is not None:
                log.finish(entry, status)
        self._write(status, headers, payload)

    def _write(self, status: int, headers: Dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- stdlib signature
        """Quiet by default; set ``server.verbose`` to log requests to stderr."""
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


def _body_id(method: str, body: bytes) -> Optional[str]:
    """The ``id`` of a POST's JSON body (an e-commerce create names its resource there), if any."""
    if method != "POST" or not body or b'"id"' not in body:
        return None
    try:
        data = json.loads(body.decode("utf-8"))
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if value is not None else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog (5) would refuse connections before the emulator can answer 429.
    request_queue_size = 128


class EmulatorServer:
    """Serves an emulator over HTTP on ``host:port`` (port 0 picks a free one); API at ``url + "/3.0/"``."""

    def __init__(self, emulator: Any, host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> None:
        self.emulator = emulator
        if getattr(emulator, "request_log", None) is None:
            emulator.request_log = RequestLog()
        self.host = host
        self.port = port
        self.verbose = verbose
        self._httpd: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. http://127.0.0.1:8765."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> "EmulatorServer":
        """Bind, set ``emulator.public_url`` and serve from a daemon thread."""
        self._httpd = _Server((self.host, self.port), _Handler)
        self._httpd.emulator = self.emulator  # type: ignore[attr-defined]
        self._httpd.verbose = self.verbose  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self.emulator.public_url = self.url
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="mailchimp-emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the current thread until ``stop`` or KeyboardInterrupt (used by the command)."""
        if self._thread is None:
            self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
