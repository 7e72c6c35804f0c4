"""The one place that talks HTTP to Mailchimp (through mailchimp3).

Every call goes through :meth:`MailchimpClient.request`, which
- points mailchimp3 at ``SHUUP_MAILCHIMP_API_URL`` when it is set,
- applies the time-out (mailchimp3 has none by default) and a User-Agent,
- holds one of at most ``SHUUP_MAILCHIMP_MAX_CONCURRENT_REQUESTS`` slots per API key, shared
  across processes through Redis when configured (Mailchimp answers 429 above 10 connections),
- turns every failure into our exception tree (``client.errors``) with ``raise ... from``,
- and records the call (operation, method, path, status, duration, error) as a log row.
mailchimp3 never retries; retrying is the outbox's job, not the client's.
"""
import contextlib
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import requests
from mailchimp3 import MailChimp
from mailchimp3.mailchimpclient import MailChimpError

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.client.concurrency import request_slot
from shuup_mailchimp.client.errors import UnexpectedAnswer, error_from_exception
from shuup_mailchimp.client import sdk_logging
from shuup_mailchimp.client.redaction import redact
from shuup_mailchimp.exceptions import MailchimpAuthError, MailchimpError

sdk_logging.install()  # mailchimp3 logs request bodies at INFO: kept at DEBUG, without secrets

USER_AGENT = "shuup-mailchimp/0.1 (+mailchimp3 3.0.21)"
API_KEY_RE = re.compile(r"\A[0-9a-f]{32}-[a-z]+[0-9]+\Z")

def api_base_url(api_key: str) -> str:
    """The API root for this key: ``SHUUP_MAILCHIMP_API_URL`` (``{dc}`` filled in) or Mailchimp's own."""
    dc = api_key.rsplit("-", 1)[-1]
    url = app_settings.API_URL
    if not url:
        return "https://%s.api.mailchimp.com/3.0/" % dc
    url = url.replace("{dc}", dc)
    return url if url.endswith("/") else url + "/"


@dataclass
class CallRecord:
    """What one API call did; handed to the client's recorder (a log row by default)."""

    operation: str
    method: str
    path: str
    status_code: Optional[int]
    duration_ms: int
    error: Optional[MailchimpError] = None
    context: dict = field(default_factory=dict)


class MailchimpClient:
    """A Mailchimp connection for one API key. Build it with :func:`shuup_mailchimp.client.client_for`."""

    def __init__(self, api_key: str, recorder: Optional[Callable[[CallRecord], None]] = None,
                 secrets: Sequence[str] = (), **context):
        if not api_key:
            raise MailchimpAuthError(title="API Key Missing", detail="No Mailchimp API key is configured.")
        try:
            if not API_KEY_RE.match(api_key):  # mailchimp3 checks only the part before the first "-"
                raise ValueError("not a Mailchimp API key")
            self._mc = MailChimp(
                mc_api=api_key,
                timeout=app_settings.TIMEOUT,
                request_headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                request_hooks={"response": [self._remember_response]},
            )
        except ValueError as exc:
            raise MailchimpAuthError(
                title="API Key Invalid",
                detail="A Mailchimp API key looks like <32 hex digits>-<data centre>, e.g. …0123-us6.",
            ) from exc
        self._mc.base_url = api_base_url(api_key)
        self.api_key = api_key
        #: Also kept out of errors: the shop's webhook token (Mailchimp echoes the webhook URL).
        self.secrets = [api_key] + [s for s in secrets if s]
        self.recorder = recorder
        self.context = dict(context)
        self._local = threading.local()
        #: Callables run right before each HTTP call, once a connection slot is held (the outbox
        #: renews the claims of the items being sent; raising there cancels the call).
        self.before_call = []

    @property
    def base_url(self) -> str:
        return self._mc.base_url

    def _remember_response(self, response, *args, **kwargs):
        self._local.status = response.status_code
        return response

    @contextlib.contextmanager
    def about(self, **context):
        """Attach context (object_kind, object_id, ...) to the log rows of calls made inside."""
        old = self.context
        self.context = dict(old, **context)
        try:
            yield self
        finally:
            self.context = old

    @contextlib.contextmanager
    def calling_first(self, hook: Callable[[], None]):
        """Run ``hook`` before every call made inside the block."""
        self.before_call.append(hook)
        try:
            yield self
        finally:
            self.before_call.remove(hook)

    def request(self, operation: str, method: str, path: str, body: Any = None, params: Optional[dict] = None):
        """Run one call; return the decoded JSON (``None`` for 204) or raise a ``MailchimpError``."""
        path = path.lstrip("/")
        method = method.upper()
        raw = self._mc  # mailchimp3 transport verbs: its endpoint helpers lack product PUT and more
        calls = {
            "GET": lambda: raw._get(path, **(params or {})),
            "POST": lambda: raw._post(path, data=body),
            "PUT": lambda: raw._put(path, data=body),
            "PATCH": lambda: raw._patch(path, data=body),
            "DELETE": lambda: raw._delete(path),
        }
        self._local.status = None
        started = time.monotonic()
        error = None
        called = False
        try:
            with self._slot():
                for hook in list(self.before_call):
                    hook()  # may cancel the call: nothing was sent, nothing to log
                called = True
                result = calls[method]()
            if not (isinstance(result, dict) or (result is None and self._local.status == 204)):
                # Mailchimp answers JSON objects (or 204); a list, a string or null is a proxy's garbage.
                raise UnexpectedAnswer("Mailchimp's answer was not a JSON object.")
            return result
        except MailchimpError as exc:  # no free connection slot in time
            error = exc
            raise
        except (MailChimpError, requests.exceptions.RequestException, ValueError, TypeError) as exc:
            # TypeError / ValueError: mailchimp3 merges an error answer's JSON into a dict, which
            # fails for a list or null; the status seen on the wire still classifies it.
            error = self._redacted(error_from_exception(exc, status=self._local.status))
            raise error from exc
        finally:
            if called or error is not None:
                status = self._local.status or (error.status if error is not None else None)
                self._record(operation, method, path, status, started, error)

    def _slot(self):
        return request_slot(self.api_key, app_settings.MAX_CONCURRENT_REQUESTS, app_settings.SLOTS_REDIS_URL)

    def _redacted(self, error: MailchimpError) -> MailchimpError:
        """Mailchimp (or a proxy) may echo the key back: it must not reach a row, a log or a message."""
        secrets = self.secrets
        error.title, error.detail = redact(error.title, secrets), redact(error.detail, secrets)
        error.errors = [{k: redact(v, secrets) if isinstance(v, str) else v for k, v in e.items()}
                        for e in error.errors if isinstance(e, dict)]
        error.args = tuple(redact(a, secrets) if isinstance(a, str) else a for a in error.args)
        return error

    def _record(self, operation, method, path, status, started, error):
        if self.recorder is None:
            return
        record = CallRecord(
            operation=operation,
            method=method,
            path=redact(path, self.secrets),
            status_code=status,
            duration_ms=int((time.monotonic() - started) * 1000),
            error=error,
            context=dict(self.context),
        )
        self.recorder(record)

    # Convenience verbs -------------------------------------------------------------------
    def get(self, operation, path, **params):
        return self.request(operation, "GET", path, params=params)

    def post(self, operation, path, body=None):
        return self.request(operation, "POST", path, body=body)

    def put(self, operation, path, body=None):
        return self.request(operation, "PUT", path, body=body)

    def patch(self, operation, path, body=None):
        return self.request(operation, "PATCH", path, body=body)

    def delete(self, operation, path):
        return self.request(operation, "DELETE", path)
