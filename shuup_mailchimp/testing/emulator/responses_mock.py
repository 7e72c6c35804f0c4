"""In-process adapter: route ``requests`` calls for a fake Mailchimp host to an emulator via ``responses``.

Only ``requests`` traffic is intercepted; the emulator's own webhook sender uses urllib, so
outgoing webhooks still reach real (loopback) servers.
"""
import contextlib
import re
from typing import Iterator, Optional, Sequence, Tuple
from urllib.parse import urlsplit

import requests

from .faults import EmulatorDroppedConnection
from .state import MailchimpEmulator

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


def _callback(emu: MailchimpEmulator):  # type: ignore[no-untyped-def]
    def callback(request: requests.PreparedRequest) -> Tuple[int, dict, bytes]:
        parts = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        try:
            status, headers, payload = emu.handle(request.method or "GET", parts.path, parts.query,
                                                  dict(request.headers), body)
        except EmulatorDroppedConnection as exc:
            raise requests.exceptions.ConnectionError(f"Connection aborted (emulated drop): {exc}", request=request)
        return status, headers, payload
    return callback


@contextlib.contextmanager
def mock_mailchimp(base_url: str = "https://us1.api.mailchimp.test", emulator: Optional[MailchimpEmulator] = None,
                   passthru_prefixes: Sequence[str] = ()) -> Iterator[MailchimpEmulator]:
    """Serve ``base_url + "/3.0/..."`` and ``base_url + "/_emulator/..."`` from an emulator; yield it."""
    emu = emulator if emulator is not None else MailchimpEmulator()
    base_url = base_url.rstrip("/")
    emu.public_url = base_url
    pattern = re.compile(re.escape(base_url) + r"/(3\.0|_emulator)(/.*)?$")
    import responses  # imported lazily: only test environments need it

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for prefix in passthru_prefixes:
            mock.add_passthru(prefix)
        callback = _callback(emu)
        for method in METHODS:
            mock.add_callback(method, pattern, callback=callback)
        yield emu
