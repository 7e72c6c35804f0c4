"""A log of the API requests the emulator served, for scenarios that count what a client sent.

Each ``/3.0/`` request (control routes under ``/_emulator/`` are not API requests) becomes one
entry: method, path, resource and resource id (see :func:`resource_of`), answer status (0 for a
dropped connection), the API key's last four characters only, a short digest of the body (two
identical writes have the same one), and wall-clock ``start`` / ``end`` times (``time.time()``,
so another process on the machine can compare them with its own clock). ``start`` is taken when
the emulator begins with the request, before the connection limit: a request answered 429 is
in the log too, since it was a connection.

Out of process: ``GET /_emulator/requests`` answers ``{"requests": [...], "next": <seq>,
"summary": {...}}``; ``?since=<seq>`` only the entries after that one, ``?summary=1`` without the
entries; ``POST /_emulator/requests/reset`` empties the log (``/_emulator/reset`` does too).

:func:`summarize` counts requests by status and resource, the writes repeated with the same body,
and the peak concurrency: the largest number of requests whose ``[start, end]`` overlap, per key.
"""
import hashlib
import threading
import time
from collections import Counter, defaultdict, deque
from typing import Any, Deque, Dict, Iterable, List, Optional

#: Entries kept at most (the oldest go first); a long-running demo emulator stays bounded.
MAX_ENTRIES = 500_000
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Path segments that are a namespace, not a collection followed by an id.
_NAMESPACES = {"ecommerce", "actions"}


def resource_of(method: str, path: str, body_id: Optional[str] = None) -> tuple:
    """(resource, id) of an API path such as ``/3.0/lists/L/members/H``: ("lists/members", "H").

    The resource is the chain of collection names; the id is the last id in the path, or for a
    POST to a collection the ``id`` of the body (an e-commerce create: ``stores/orders``, "1234").
    """
    parts = [p for p in path.split("/") if p][1:]  # without "3.0"
    names: List[str] = []
    last_id = ""
    expect_name = True
    for part in parts:
        if expect_name:
            if part in _NAMESPACES:
                continue
            names.append(part)
            expect_name = False
        else:
            last_id = part
            expect_name = True
    if method == "POST" and not expect_name and body_id is not None:
        last_id = str(body_id)
    return "/".join(names), last_id


class RequestLog:
    """Thread-safe, bounded list of request entries with a running sequence number."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: Deque[Dict[str, Any]] = deque(maxlen=max_entries)
        self._seq = 0

    def start(self, method: str, path: str, key: str, body: bytes, body_id: Optional[str] = None) -> Dict[str, Any]:
        """Record a request as it begins; pass the returned entry to :meth:`finish`."""
        resource, resource_id = resource_of(method, path, body_id)
        entry = {"method": method, "path": path, "resource": resource, "id": resource_id, "status": None,
                 "key": key[-4:] if key else "", "body": hashlib.sha1(body or b"").hexdigest()[:12] if body else "",
                 "start": time.time(), "end": None}
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
        return entry

    @staticmethod
    def finish(entry: Dict[str, Any], status: int) -> None:
        """The answer's status (0: the connection was dropped without one) and the end time."""
        entry["status"] = status
        entry["end"] = time.time()

    def entries(self, since: int = 0) -> List[Dict[str, Any]]:
        """Copies of the entries after sequence number ``since``, oldest first."""
        with self._lock:
            return [dict(e) for e in self._entries if e["seq"] > since]

    @property
    def last_seq(self) -> int:
        return self._seq

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()


def peak_concurrency(entries: Iterable[Dict[str, Any]], now: Optional[float] = None) -> int:
    """Largest number of entries whose [start, end] intervals overlap (one still open ends ``now``).

    An interval that ends exactly when another starts does not overlap it.
    """
    now = time.time() if now is None else now
    events = []
    for e in entries:
        events.append((e["start"], 1))
        events.append((e["end"] if e.get("end") is not None else now, -1))
    events.sort()  # at equal times the end (-1) sorts before the start (+1)
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def summarize(entries: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Counts a scenario checks: by status, by resource and method, repeated writes, peaks per key."""
    by_key: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for e in entries:
        by_key[e["key"]].append(e)
    writes = Counter((e["method"], e["resource"], e["id"], e["body"]) for e in entries
                     if e["method"] in WRITE_METHODS and e["status"] is not None and 200 <= e["status"] < 300)
    posts = Counter((e["resource"], e["id"]) for e in entries if e["method"] == "POST")
    return {
        "requests": len(entries),
        "by_status": {str(k): v for k, v in sorted(Counter(e["status"] for e in entries).items(), key=str)},
        "rate_limited": sum(1 for e in entries if e["status"] == 429),
        "by_resource": {"%s %s" % k: v
                        for k, v in sorted(Counter((e["method"], e["resource"]) for e in entries).items())},
        # The same successful write (method, resource, id, body) more than once: work done twice.
        "repeated_writes": sum(n - 1 for n in writes.values() if n > 1),
        # POSTs per (resource, id) beyond the first, whatever their answer (e.g. an order created twice).
        "repeated_posts": sum(n - 1 for n in posts.values() if n > 1),
        "peak_concurrency": {key: peak_concurrency(group) for key, group in sorted(by_key.items())},
        "peak_admitted": {key: peak_concurrency([e for e in group if e["status"] != 429])
                          for key, group in sorted(by_key.items())},
    }


def handle(log: RequestLog, method: str, path: str, query: Dict[str, str]) -> Optional[Dict[str, Any]]:
    """The control routes; None when the path is not one of them."""
    if path == "/_emulator/requests" and method == "GET":
        since = int(query.get("since") or 0)
        entries = log.entries(since)
        answer: Dict[str, Any] = {"next": entries[-1]["seq"] if entries else max(since, 0),
                                  "summary": summarize(entries)}
        if query.get("summary") not in ("1", "true", "True"):
            answer["requests"] = entries
        return answer
    if path == "/_emulator/requests/reset" and method == "POST":
        log.reset()
        return {"reset": True}
    return None
