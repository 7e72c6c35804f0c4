"""Fixtures for the emulator tests: mailchimp3 as the real client, in-process or over loopback HTTP."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List
from urllib.parse import parse_qsl

import pytest
from mailchimp3 import MailChimp

from shuup_mailchimp.testing import EmulatorServer, MailchimpEmulator, mock_mailchimp

KEY = "0123456789abcdef0123456789abcdef-us1"
BASE = "https://us1.api.mailchimp.test"


def make_client(base: str, key: str = KEY) -> MailChimp:
    """A mailchimp3 client pointed at an emulator base URL (no trailing slash)."""
    client = MailChimp(mc_api=key, timeout=10)
    client.base_url = base + "/3.0/"
    return client


def error_of(excinfo: Any) -> Dict[str, Any]:
    """The problem dict mailchimp3 put into MailChimpError."""
    return excinfo.value.args[0]


def wait_finished(client: MailChimp, batch_id: str, timeout: float = 10.0) -> Dict[str, Any]:
    """Poll a batch (``GET /batches/{id}``) until Mailchimp says it is finished; return it."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        batch = client.batches.get(batch_id)
        if batch["status"] == "finished" or time.monotonic() > deadline:
            return batch
        time.sleep(0.01)


@pytest.fixture
def emu() -> Iterator[MailchimpEmulator]:
    with mock_mailchimp(BASE) as emulator:
        yield emulator


@pytest.fixture
def mc(emu: MailchimpEmulator) -> MailChimp:
    return make_client(BASE)


@pytest.fixture
def list_id(emu: MailchimpEmulator) -> str:
    return emu.create_list("Shop audience")["id"]


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    srv = EmulatorServer(MailchimpEmulator(), port=0).start()
    yield srv
    srv.stop()


class Receiver:
    """A tiny loopback HTTP server that records every request (for webhook tests)."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: List[Dict[str, Any]] = []
        self.event = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                receiver.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                          "form": dict(parse_qsl(body, keep_blank_values=True))})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.event.set()

            do_GET = do_POST = _record

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def posts(self) -> List[Dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST"]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.close()
