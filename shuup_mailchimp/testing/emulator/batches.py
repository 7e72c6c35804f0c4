"""Batch operations and batch webhooks, processed asynchronously as Mailchimp does.

``POST /batches`` stores the batch ``pending`` and answers at once. A worker thread of the
emulator (started by the first batch, gone after a few idle seconds) takes pending batches in
submission order and moves each through ``pending -> started -> finalizing -> finished``:
operations run in chunks, each chunk under the state lock (so API requests interleave with a
long batch) and through the same dispatcher as the individual calls, so every result is what
that call would have answered. ``finished_operations`` grows as chunks finish and includes the
errored ones; one failing operation never fails the batch.

Results are a gzipped tar of ``.json`` files, each a JSON array of ``{status_code,
operation_id, response}`` where ``response`` is itself a JSON string, served without auth under
``emu.public_url``. Like Mailchimp's links they expire: a download after the archive's
lifetime is answered 403 with an S3 "Request has expired" body; a deleted (cancelled) batch has
no results at all (its operations stop running and its archive is gone).

Options (emulator attributes, also settable with ``POST /_emulator/config``):

- ``batch_processing``: ``"background"`` (default, the worker thread), ``"manual"`` (batches
  wait until :func:`process_pending` / ``emu.process_batches()`` runs them, for tests that look
  at a pending batch) or ``"on_read"`` (a pending batch is run to completion when it is read,
  the behaviour of earlier versions of this emulator);
- ``batch_start_delay``: seconds a batch stays pending before it starts (Mailchimp queues);
- ``batch_operation_time``: seconds each operation takes (Mailchimp's own processing time);
- ``batch_archive_ttl``: seconds an archive can be downloaded after completion (``None``: always).
"""
import collections
import copy
import io
import json
import tarfile
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from . import webhooks
from .http import (
    ApiError, collection, invalid_resource, new_id, not_found, now_iso, parse_query, public, require_fields,
)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_PENDING = 500
MAX_BATCH_WEBHOOKS = 20
RESULTS_PER_FILE = 500
#: Operations run under one hold of the state lock.
CHUNK = 200
BATCH_HIDDEN = ("operations",)
PROCESSING_MODES = ("background", "manual", "on_read")
#: Seconds the worker thread waits for another batch before it ends.
WORKER_IDLE = 5.0
EXPIRED_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                b"<Message>Request has expired</Message></Error>")


def configure(emu: Any) -> None:
    """Give an emulator the batch options' defaults (idempotent)."""
    for name, default in (("batch_processing", "background"), ("batch_start_delay", 0.0),
                          ("batch_operation_time", 0.0), ("batch_archive_ttl", None)):
        if not hasattr(emu, name):
            setattr(emu, name, default)
    if not hasattr(emu, "batch_operations"):
        emu.batch_operations = {}  # batch id -> (API key, operations); dropped once the batch ran
    if not hasattr(emu, "batch_archive_expiry"):
        emu.batch_archive_expiry = {}  # batch id -> time.monotonic() after which the link is dead


def results_url(emu: Any, batch_id: str) -> str:
    """Where the results archive of a batch is served (no auth needed)."""
    return f"{emu.public_url}/_emulator/batches/{batch_id}/results.tar.gz"


def archive_response(emu: Any, batch_id: str) -> Tuple[int, Dict[str, str], bytes]:
    """The download of a batch's archive: 200 with the tar.gz, 403 once expired, 404 if there is none."""
    configure(emu)
    with emu._lock:
        data = emu.batch_archives.get(batch_id)
        expiry = emu.batch_archive_expiry.get(batch_id)
    if data is None:
        return 404, {"Content-Type": "application/xml"}, (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code></Error>')
    if expiry is not None and time.monotonic() >= expiry:
        return 403, {"Content-Type": "application/xml"}, EXPIRED_BODY
    return 200, {"Content-Type": "application/x-gzip", "Content-Length": str(len(data))}, data


def expire_archives(emu: Any) -> None:
    """Make every results link dead now (as if their lifetime had passed)."""
    configure(emu)
    with emu._lock:
        for batch_id in emu.batch_archives:
            emu.batch_archive_expiry[batch_id] = 0.0


def _validate_operations(operations: Any) -> List[Dict[str, Any]]:
    if not isinstance(operations, list):
        raise invalid_resource(errors=[{"field": "operations", "message": "Schema describes array"}])
    for index, op in enumerate(operations):
        if not isinstance(op, dict) or op.get("method") not in METHODS or not isinstance(op.get("path"), str):
            raise invalid_resource(errors=[{"field": f"operations.{index}",
                                            "message": "Each operation needs a method and a path."}])
        if "body" in op and op["body"] is not None and not isinstance(op["body"], str):
            raise invalid_resource(errors=[{"field": f"operations.{index}.body",
                                            "message": "Schema describes string, object found instead"}])
        if "params" in op and not isinstance(op["params"], dict):
            raise invalid_resource(errors=[{"field": f"operations.{index}.params",
                                            "message": "Schema describes object"}])
    return operations


def _run_operation(emu: Any, key: str, outbox: list, op: Dict[str, Any]) -> Dict[str, Any]:
    from .state import RequestContext
    path, _, inline_query = op["path"].partition("?")
    query = parse_query(inline_query)
    query.update({name: str(value) for name, value in (op.get("params") or {}).items()})
    try:
        body = json.loads(op["body"]) if op.get("body") else None
    except ValueError:
        status, payload = 400, {"type": "https://mailchimp.com/developer/marketing/docs/errors/",
                                "title": "JSON Parse Error", "status": 400,
                                "detail": "We encountered an unspecified JSON parsing error.", "instance": new_id(32)}
    else:
        path = path.strip("/")
        if path.startswith("3.0/"):
            path = path[len("3.0/"):]
        sub = RequestContext(op["method"], path, query, body, key=key, in_batch=True)
        status, payload = emu.dispatch(sub)
        outbox.extend(sub.outbox)
    return {"status_code": status, "operation_id": op.get("operation_id"),
            "response": json.dumps(payload) if payload is not None else ""}


def _archive(results: List[Dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for start in range(0, max(len(results), 1), RESULTS_PER_FILE):
            data = json.dumps(results[start:start + RESULTS_PER_FILE]).encode("utf-8")
            info = tarfile.TarInfo(f"{new_id(32)}.json")
            info.size, info.mtime = len(data), int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def run_batch(emu: Any, batch_id: str, held_outbox: Optional[list] = None) -> None:
    """Run one pending batch to completion (or until it is deleted), then notify the batch webhooks.

    ``held_outbox``: the caller holds the state lock (``on_read`` mode); the batch runs in one go
    and its webhook deliveries are queued there for the caller to send after the lock.
    """
    configure(emu)
    locked = held_outbox is not None
    lock = _NoLock() if locked else emu._lock
    with lock:
        batch = emu.batches.get(batch_id)
        if batch is None or batch["status"] != "pending":
            return
        batch["status"] = "started"
        key, operations = emu.batch_operations.get(batch_id, ("", []))
    results: List[Dict[str, Any]] = []
    pace = float(emu.batch_operation_time or 0.0)
    for start in range(0, len(operations), CHUNK):
        outbox: list = []
        chunk = operations[start:start + CHUNK]
        with lock:
            batch = emu.batches.get(batch_id)
            if batch is None:
                return  # deleted while running: Mailchimp stops it and its results are lost
            done = [_run_operation(emu, key, outbox, op) for op in chunk]
            results.extend(done)
            batch["finished_operations"] = len(results)
            batch["errored_operations"] += sum(1 for r in done if r["status_code"] >= 400)
        if locked:
            held_outbox.extend(outbox)
        else:
            emu._send_outbox(outbox)
        if pace > 0 and not locked:
            time.sleep(pace * len(chunk))
    with lock:
        batch = emu.batches.get(batch_id)
        if batch is None:
            return
        batch["status"] = "finalizing"
    data = _archive(results)
    outbox = []
    with lock:
        batch = emu.batches.get(batch_id)
        if batch is None:
            return
        batch.update({"status": "finished", "completed_at": now_iso(), "response_body_url": results_url(emu, batch_id)})
        emu.batch_archives[batch_id] = data
        if emu.batch_archive_ttl is not None:
            emu.batch_archive_expiry[batch_id] = time.monotonic() + float(emu.batch_archive_ttl)
        emu.batch_operations.pop(batch_id, None)
        for hook in emu.batch_webhooks.values():
            if hook["enabled"]:
                payload = webhooks.build_payload("batch_operation_completed", public(batch, BATCH_HIDDEN))
                outbox.append((hook["url"], payload, "batch_operation_completed"))
    if locked:
        held_outbox.extend(outbox)
    else:
        emu._send_outbox(outbox)


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


class _Worker:
    """The emulator's batch processor: one thread, batches in submission order."""

    def __init__(self, emu: Any) -> None:
        self.emu = emu
        self.queue: collections.deque = collections.deque()
        self.condition = threading.Condition()
        self.thread: Optional[threading.Thread] = None

    def submit(self, batch_id: str) -> None:
        with self.condition:
            self.queue.append(batch_id)
            self.condition.notify()
            if self.thread is None:
                self.thread = threading.Thread(target=self._loop, name="emulator-batches", daemon=True)
                self.thread.start()

    def _loop(self) -> None:
        while True:
            with self.condition:
                if not self.queue:
                    self.condition.wait(WORKER_IDLE)
                if not self.queue:
                    self.thread = None
                    return
                batch_id = self.queue.popleft()
            delay = float(self.emu.batch_start_delay or 0.0)
            if delay > 0:
                time.sleep(delay)
            try:
                run_batch(self.emu, batch_id)
            except Exception:  # a bug here must not stop later batches; the batch stays "started"
                import logging

                logging.getLogger(__name__).exception("emulator batch %s failed", batch_id)


def _worker(emu: Any) -> _Worker:
    worker = getattr(emu, "_batch_worker", None)
    if worker is None:
        worker = emu._batch_worker = _Worker(emu)
    return worker


def process_pending(emu: Any) -> int:
    """Run every pending batch now, in this thread (``manual`` mode); returns how many ran."""
    configure(emu)
    with emu._lock:
        pending = [b["id"] for b in emu.batches.values() if b["status"] == "pending"]
    for batch_id in pending:
        run_batch(emu, batch_id)
    return len(pending)


def wait_idle(emu: Any, timeout: float = 30.0) -> bool:
    """Wait until no batch is pending or running (tests); True if that happened in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with emu._lock:
            busy = any(b["status"] != "finished" for b in emu.batches.values())
        if not busy:
            return True
        time.sleep(0.005)
    return False


def _forget_orphans(emu: Any) -> None:
    """A batch not finished whose operations this emulator no longer has (a restart from a state
    file keeps batches, not their operations) can never run: it is dropped, as if cancelled."""
    configure(emu)
    for batch_id in [b["id"] for b in emu.batches.values() if b["status"] != "finished"]:
        if batch_id not in emu.batch_operations:
            del emu.batches[batch_id]


def _get_batch(emu: Any, batch_id: str) -> Dict[str, Any]:
    _forget_orphans(emu)
    batch = emu.batches.get(batch_id)
    if batch is None:
        raise not_found()
    return batch


def _read(emu: Any, ctx: Any, batch: Dict[str, Any]) -> None:
    """``on_read`` mode: a pending batch runs to completion when it is read (we hold the lock)."""
    if getattr(emu, "batch_processing", "background") == "on_read" and batch["status"] == "pending":
        run_batch(emu, batch["id"], held_outbox=ctx.outbox)


def create(emu: Any, ctx: Any) -> Tuple[int, Any]:
    configure(emu)
    body = ctx.json_body()
    operations = _validate_operations(body.get("operations"))
    if sum(1 for b in emu.batches.values() if b["status"] != "finished") >= MAX_PENDING:
        raise ApiError(429, detail="You have more than 500 pending batches.")
    batch = {"id": new_id(), "status": "pending", "total_operations": len(operations), "finished_operations": 0,
             "errored_operations": 0, "submitted_at": now_iso(), "completed_at": "", "response_body_url": ""}
    emu.batches[batch["id"]] = batch
    emu.batch_operations[batch["id"]] = (ctx.key, operations)  # parsed from this request: nobody else holds them
    if emu.batch_processing == "background":
        _worker(emu).submit(batch["id"])
    return 200, public(batch, BATCH_HIDDEN)


def get_one(emu: Any, ctx: Any, batch_id: str) -> Tuple[int, Any]:
    batch = _get_batch(emu, batch_id)
    _read(emu, ctx, batch)
    return 200, public(batch, BATCH_HIDDEN)


def all_batches(emu: Any, ctx: Any) -> Tuple[int, Any]:
    _forget_orphans(emu)
    for batch in list(emu.batches.values()):
        _read(emu, ctx, batch)
    return 200, collection("batches", [public(b, BATCH_HIDDEN) for b in emu.batches.values()], ctx.query)


def delete(emu: Any, ctx: Any, batch_id: str) -> Tuple[int, Any]:
    configure(emu)
    _get_batch(emu, batch_id)
    del emu.batches[batch_id]
    emu.batch_archives.pop(batch_id, None)
    emu.batch_operations.pop(batch_id, None)
    emu.batch_archive_expiry.pop(batch_id, None)
    return 204, None


# --- batch webhooks --------------------------------------------------------------------------------

def _get_hook(emu: Any, hook_id: str) -> Dict[str, Any]:
    hook = emu.batch_webhooks.get(hook_id)
    if hook is None:
        raise not_found()
    return hook


def all_hooks(emu: Any, ctx: Any) -> Tuple[int, Any]:
    return 200, collection("webhooks", copy.deepcopy(list(emu.batch_webhooks.values())), ctx.query)


def create_hook(emu: Any, ctx: Any) -> Tuple[int, Any]:
    body = ctx.json_body()
    require_fields(body, ("url",))
    if len(emu.batch_webhooks) >= MAX_BATCH_WEBHOOKS:
        raise invalid_resource("You have reached the maximum of 20 batch webhooks.")
    if any(h["url"] == body["url"] for h in emu.batch_webhooks.values()):
        raise invalid_resource(f"A batch webhook for {body['url']} already exists.")
    webhooks.ensure_valid_url(emu, ctx, body["url"])
    hook = {"id": new_id(), "url": body["url"], "enabled": bool(body.get("enabled", True)), "_links": []}
    emu.batch_webhooks[hook["id"]] = hook
    return 200, copy.deepcopy(hook)


def get_hook(emu: Any, ctx: Any, hook_id: str) -> Tuple[int, Any]:
    return 200, copy.deepcopy(_get_hook(emu, hook_id))


def patch_hook(emu: Any, ctx: Any, hook_id: str) -> Tuple[int, Any]:
    hook = _get_hook(emu, hook_id)
    body = ctx.json_body()
    hook.update({key: body[key] for key in ("url", "enabled") if key in body})
    return 200, copy.deepcopy(hook)


def delete_hook(emu: Any, ctx: Any, hook_id: str) -> Tuple[int, Any]:
    _get_hook(emu, hook_id)
    del emu.batch_webhooks[hook_id]
    return 204, None


ROUTES = [
    ("GET", "batches", all_batches), ("POST", "batches", create),
    ("GET", "batches/{batch_id}", get_one), ("DELETE", "batches/{batch_id}", delete),
    ("GET", "batch-webhooks", all_hooks), ("POST", "batch-webhooks", create_hook, True),
    ("GET", "batch-webhooks/{hook_id}", get_hook), ("PATCH", "batch-webhooks/{hook_id}", patch_hook),
    ("DELETE", "batch-webhooks/{hook_id}", delete_hook),
]
