"""The emulator core: state store, authentication, fault injection and request dispatch.

Design:
- All state lives in plain dicts laid out like ``snapshot()`` so it is always JSON-serialisable;
  one ``threading.Lock`` guards it. Latency, the connection limit and outgoing webhooks happen
  outside that lock, so a slow request never blocks others and a webhook receiver may call the
  API back without dead-locking.
- Routes are ``(method, "lists/{list_id}/members/{member}")`` templates registered by the resource
  modules; a path that matches some template but not the verb gives 405, no match gives 404.
- ``handle`` is transport-neutral: the HTTP server and the ``responses`` adapter both call it.
"""
import base64
import json
import re
import threading
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Pattern, Tuple
from urllib.parse import unquote

from . import batches, campaigns, control, ecommerce, lists, members, segments, stores, webhooks
from .faults import APPLIED_DROP, ConnectionLimiter, EmulatorDroppedConnection, FaultInjector
from .http import ApiError, apply_fields, parse_query, problem_body

KEY_RE = re.compile(r"^[0-9a-f]{32}-([a-z]+[0-9]+)$")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
Handler = Callable[..., Tuple[int, Any]]


class RequestContext:
    """One API request as handlers see it (also built for each batch operation)."""

    def __init__(self, method: str, path: str, query: Dict[str, str], body: Any, key: str = "",
                 in_batch: bool = False) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.key = key
        self.in_batch = in_batch
        # Webhook deliveries queued under the lock, sent after it is released.
        self.outbox: List[Tuple[str, Dict[str, str], str]] = []
        # URL -> (status, error) of validation GETs made before the lock was taken.
        self.validated_urls: Dict[str, Tuple[Optional[int], Optional[str]]] = {}

    def json_body(self) -> Dict[str, Any]:
        """The body as a dict ({} if none); 400 if it is not a JSON object."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.")
        return self.body


class Route:
    """A method and a path template such as ``lists/{list_id}/members``."""

    def __init__(self, method: str, template: str, handler: Handler, validates_url: bool = False) -> None:
        self.method = method
        self.handler = handler
        self.validates_url = validates_url
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.regex: Pattern[str] = re.compile(f"^{pattern}$")


def _build_routes() -> List[Route]:
    routes: List[Route] = []
    for module in (members, lists, segments, stores, ecommerce, batches, campaigns):
        for spec in module.ROUTES:
            routes.append(Route(*spec))
    return routes


class MailchimpEmulator:
    """An in-memory, thread-safe emulator of the Mailchimp Marketing API v3 (see the module docstring)."""

    def __init__(self, fault_rate: float = 0.0, seed: Optional[int] = None, latency: float = 0.0,
                 max_concurrent: int = 10, valid_keys: Optional[List[str]] = None,
                 datacenter: Optional[str] = None, fault_kinds: Optional[List[str]] = None) -> None:
        self.faults = FaultInjector(fault_rate, seed, fault_kinds)
        self.latency = float(latency or 0.0)
        self.limiter = ConnectionLimiter(max_concurrent)
        self.valid_keys = set(valid_keys or ())
        self.datacenter = datacenter
        self.public_url = "http://127.0.0.1:8765"
        # None, 429 or 403: answer throttled requests without a body, as Mailchimp sometimes does.
        self.bodiless_throttle_status: Optional[int] = None
        # Deliver API-triggered webhooks from a background thread, as the real service does.
        self.async_webhooks = False
        self.resolve_hosts: Dict[str, str] = {}
        self.webhook_sender: Callable[[str, str, Optional[Dict[str, str]], Dict[str, str]], int] = \
            webhooks.DefaultSender(self)
        self.webhook_deliveries: List[Dict[str, Any]] = []
        #: Called (outside the lock) after a request that may have changed the state; the state
        #: file (``persistence.StateFile``) sets it.
        self.on_change: Optional[Callable[[], None]] = None
        self._lock = threading.Lock()
        self._counter_lock = threading.Lock()
        self._delivery_threads: List[threading.Thread] = []
        self._routes = _build_routes()
        self.reset()
        batches.configure(self)  # batch_processing, batch_start_delay, ... (see batches)

    # --- configuration and state -------------------------------------------------------------

    @property
    def fault_rate(self) -> float:
        """Probability that a /3.0/ request gets an injected fault."""
        return self.faults.rate

    @fault_rate.setter
    def fault_rate(self, value: float) -> None:
        self.faults.rate = float(value or 0.0)

    @property
    def fault_kinds(self) -> Tuple[str, ...]:
        """Which faults are drawn: by default 429, 500, 503 and drop; ``applied_drop`` is opt-in."""
        return self.faults.kinds

    @fault_kinds.setter
    def fault_kinds(self, value: List[str]) -> None:
        from .faults import check_kinds
        self.faults.kinds = check_kinds(value)

    @property
    def max_concurrent(self) -> int:
        """Simultaneous in-flight requests allowed per key (10 on the real API)."""
        return self.limiter.max_concurrent

    @max_concurrent.setter
    def max_concurrent(self, value: int) -> None:
        self.limiter.max_concurrent = int(value)

    def reset(self) -> None:
        """Forget all resources, statistics and delivery records (configuration is kept)."""
        with self._lock:
            self.lists: Dict[str, Dict[str, Any]] = {}
            self.stores: Dict[str, Dict[str, Any]] = {}
            self.batches: Dict[str, Dict[str, Any]] = {}
            self.batch_webhooks: Dict[str, Dict[str, Any]] = {}
            self.campaigns: Dict[str, Dict[str, Any]] = {}
            self.batch_archives: Dict[str, bytes] = {}
            self.batch_operations: Dict[str, Any] = {}
            self.batch_archive_expiry: Dict[str, float] = {}
            self.sequence = 0
            self.stats = {"requests": 0, "writes": 0, "faults": 0, "rate_limited": 0}
            self.faults.counts.clear()
            self.webhook_deliveries = []

    def next_int(self) -> int:
        """A process-wide increasing integer for numeric ids (merge_id, segment id, web_id)."""
        self.sequence += 1
        return self.sequence

    def count(self, name: str, amount: int = 1) -> None:
        """Increment a statistics counter (thread-safe)."""
        with self._counter_lock:
            self.stats[name] += amount

    def snapshot(self) -> Dict[str, Any]:
        """The whole state as a JSON-serialisable dict (also ``GET /_emulator/state``)."""
        with self._lock:
            return control.snapshot(self)

    # --- seeding helpers ---------------------------------------------------------------------

    def create_list(self, name: str = "Demo audience", list_id: Optional[str] = None) -> Dict[str, Any]:
        """Create an audience with the usual defaults and merge fields; return the list resource."""
        with self._lock:
            return lists.create_list_record(self, {"name": name}, list_id=list_id, fill_defaults=True)

    def seed_campaign(self, list_id: str, **fields: Any) -> Dict[str, Any]:
        """Create a sent campaign with a report on ``list_id``; return the campaign resource."""
        with self._lock:
            return campaigns.seed(self, list_id, fields)

    def update_campaign(self, campaign_id: str, **fields: Any) -> Dict[str, Any]:
        """Change a seeded campaign (status, send time, report counters); return the campaign resource."""
        with self._lock:
            return campaigns.update(self, campaign_id, fields)

    def fire_webhook(self, list_id: str, event_type: str, email: str, source: str = "user",
                     **data: Any) -> List[Dict[str, Any]]:
        """Apply a change made outside the API (e.g. an unsubscribe link) and POST it to the list's webhooks.

        ``source`` is who made it: "user" (the person), "admin" (the Mailchimp UI) or "api"; an
        ``unsubscribe`` records it as the member's ``unsubscribed_by`` ("person", "admin", "api"),
        which decides whether the API may re-subscribe (see ``members.in_compliance_state``).
        """
        with self._lock:
            outbox = webhooks.apply_external_event(self, list_id, event_type, email, source, data)
        return webhooks.deliver_all(self, outbox)

    # --- the person's side (what happens in Mailchimp, not through the API) -------------------
    # Each changes the member as Mailchimp would and POSTs the event to the list's webhooks that
    # want it (like ``fire_webhook``); each returns the delivery records and raises ApiError(404)
    # for an unknown list or member. Also on POST /_emulator/members/{unsubscribe,clean,subscribe}.

    def unsubscribe_as_person(self, list_id: str, email: str, campaign_id: str = "",
                              reason: str = "manual") -> List[Dict[str, Any]]:
        """The person clicks the unsubscribe link of a campaign email (or unsubscribes on the hosted
        preferences page): status ``unsubscribed``, ``unsubscribed_by`` "person", which is a
        compliance state (an API ``status: subscribed`` then gives 400 "Member In Compliance State";
        ``pending`` still works). Webhook: ``unsubscribe`` with source ``user``, ``data[action]``
        "unsub", ``data[reason]`` (``manual``, or ``abuse`` for a spam complaint) and
        ``data[campaign_id]``."""
        return self.fire_webhook(list_id, "unsubscribe", email, source="user", action="unsub", reason=reason,
                                 campaign_id=campaign_id)

    def clean_member(self, list_id: str, email: str, reason: str = "hard", campaign_id: str = "",
                     source: str = "user") -> List[Dict[str, Any]]:
        """The address hard-bounces (``reason`` "hard") or its owner reports abuse ("abuse"): status
        ``cleaned``, a compliance state. Webhook: ``cleaned`` with ``data[reason]`` and
        ``data[campaign_id]``. Guess: the real source of a bounce-cleaning is not documented;
        ``user`` (the default) reaches hooks registered for the person's changes."""
        return self.fire_webhook(list_id, "cleaned", email, source=source, reason=reason, campaign_id=campaign_id)

    def subscribe_as_person(self, list_id: str, email: str,
                            merges: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """The person signs up on a hosted form, or clicks the link of a (re-)confirmation email:
        status ``subscribed`` whatever it was (this lifts a compliance state; a new address is
        created). Webhook: ``subscribe`` with source ``user``."""
        return self.fire_webhook(list_id, "subscribe", email, source="user", merges=dict(merges or {}))

    def process_batches(self) -> int:
        """Run every pending batch now, in this thread (``batch_processing = "manual"``)."""
        return batches.process_pending(self)

    def wait_for_batches(self, timeout: float = 30.0) -> bool:
        """Wait until no batch is pending or running; True if that happened in time."""
        return batches.wait_idle(self, timeout)

    def expire_batch_archives(self) -> None:
        """Make every batch results link dead now, as if its lifetime had passed."""
        batches.expire_archives(self)

    def wait_for_webhooks(self, timeout: float = 15.0) -> None:
        """Wait for background deliveries started when ``async_webhooks`` is true."""
        deadline = time.monotonic() + timeout
        for thread in list(self._delivery_threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        self._delivery_threads = [t for t in self._delivery_threads if t.is_alive()]

    # --- request handling --------------------------------------------------------------------

    def handle(self, method: str, path: str, query_string: str, headers: Dict[str, str],
               body: bytes) -> Tuple[int, Dict[str, str], bytes]:
        """Serve one request; return (status, headers, body). May raise EmulatorDroppedConnection."""
        method = method.upper()
        path = "/" + path.strip("/")
        if path.startswith("/_emulator/"):
            answer = control.handle(self, method, path, parse_query(query_string), body)
            if method != "GET":
                self._changed()
            return answer
        if path != "/3.0" and not path.startswith("/3.0/"):
            return self._respond(404, problem_body(ApiError(404)))
        self.count("requests")  # API requests only, so control calls never skew the counters
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        key = self._extract_key(lowered.get("authorization", ""))
        if not self.limiter.enter(key):
            self.count("rate_limited")
            return self._throttled()
        try:
            if self.latency > 0:
                time.sleep(self.latency)
            fault = self.faults.draw()
            if fault:
                self.count("faults")
                if fault == "drop":
                    raise EmulatorDroppedConnection(f"{method} {path}")
                if fault == "429":
                    return self._throttled()
                if fault != APPLIED_DROP:
                    return self._respond(int(fault), problem_body(ApiError(int(fault))))
            answer = self._serve_api(method, path, query_string, body, key)
            if fault == APPLIED_DROP:  # handled (a write is applied), then the answer is lost
                raise EmulatorDroppedConnection(f"{method} {path} (after it was applied)")
            return answer
        finally:
            self.limiter.leave(key)

    def _serve_api(self, method: str, path: str, query_string: str, body: bytes,
                   key: str) -> Tuple[int, Dict[str, str], bytes]:
        """Authenticate, parse and dispatch one API request (after fault injection)."""
        auth_error = self._check_key(key)
        if auth_error:
            return self._respond(401, problem_body(auth_error))
        try:
            parsed = json.loads(body.decode("utf-8")) if body and body.strip() else None
        except ValueError:
            return self._respond(400, problem_body(ApiError(
                400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.")))
        ctx = RequestContext(method, path[len("/3.0"):].strip("/"), parse_query(query_string), parsed, key)
        self._prevalidate_urls(ctx)
        with self._lock:
            status, payload = self.dispatch(ctx)
        if method in WRITE_METHODS and status < 300:
            self._changed()
        self._send_outbox(ctx.outbox)
        return self._respond(status, payload)

    def _changed(self) -> None:
        callback = self.on_change
        if callback is not None:
            callback()

    def dispatch(self, ctx: RequestContext) -> Tuple[int, Any]:
        """Route a request to its handler; the caller holds the state lock."""
        route, params = self._match(ctx.method, ctx.path)
        try:
            if route is None:
                raise ApiError(405) if params is not None else ApiError(404)
            status, payload = route.handler(self, ctx, **params)
        except ApiError as error:
            return error.status, problem_body(error)
        if status < 300 and ctx.method in WRITE_METHODS:
            self.count("writes")
        if status < 300 and payload is not None:
            payload = apply_fields(payload, ctx.query)
        return status, payload

    def _match(self, method: str, path: str) -> Tuple[Optional[Route], Optional[Dict[str, str]]]:
        path_matched = False
        for route in self._routes:
            match = route.regex.match(path)
            if match:
                params = {name: unquote(value) for name, value in match.groupdict().items()}
                if route.method == method:
                    return route, params
                path_matched = True
        return None, ({} if path_matched else None)

    def _prevalidate_urls(self, ctx: RequestContext) -> None:
        """Webhook creation GETs the URL; do it before taking the lock (the receiver may call us back)."""
        route, _ = self._match(ctx.method, ctx.path)
        if route is not None and route.validates_url and isinstance(ctx.body, dict):
            url = ctx.body.get("url")
            if isinstance(url, str) and url:
                ctx.validated_urls[url] = webhooks.validate_url(self, url)

    def _send_outbox(self, outbox: List[Tuple[str, Dict[str, str], str]]) -> None:
        if not outbox:
            return
        if self.async_webhooks:
            thread = threading.Thread(target=webhooks.deliver_all, args=(self, outbox), daemon=True)
            self._delivery_threads.append(thread)
            thread.start()
        else:
            webhooks.deliver_all(self, outbox)

    @staticmethod
    def _extract_key(authorization: str) -> str:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return "\0invalid"
            return decoded.partition(":")[2] or "\0invalid"
        if scheme.lower() in ("oauth", "bearer") and credentials.strip():
            return credentials.strip()
        return ""

    def _check_key(self, key: str) -> Optional[ApiError]:
        if not key:
            return ApiError(401, "API Key Missing", "Your request did not include an API key.")
        match = KEY_RE.match(key)
        if self.valid_keys:
            valid = key in self.valid_keys
        else:
            valid = bool(match)
        if valid and self.datacenter and match and match.group(1) != self.datacenter:
            valid = False
        return None if valid else ApiError(401)

    def _throttled(self) -> Tuple[int, Dict[str, str], bytes]:
        if self.bodiless_throttle_status:
            return self.bodiless_throttle_status, {"X-Request-Id": str(uuid.uuid4())}, b""
        return self._respond(429, problem_body(ApiError(429)))

    @staticmethod
    def _respond(status: int, payload: Any) -> Tuple[int, Dict[str, str], bytes]:
        headers = {"X-Request-Id": str(uuid.uuid4())}
        if status == 204 or payload is None:
            return status, headers, b""
        is_problem = status >= 400 and isinstance(payload, dict) and "instance" in payload
        headers["Content-Type"] = "application/problem+json; charset=utf-8" if is_problem else \
            "application/json; charset=utf-8"
        return status, headers, json.dumps(payload).encode("utf-8")
