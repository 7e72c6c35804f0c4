"""Batch operations and batch webhooks.

A batch is stored ``pending`` on POST and run on the next GET (of it or of the batch list):
every operation goes through the same dispatcher, against the same state, inside the same lock,
so the results are exactly what the individual calls would have answered. Results are a gzipped
tar of ``.json`` files, each a JSON array of ``{status_code, operation_id, response}`` where
``response`` is itself a JSON string, served without auth under ``emu.public_url``.
"""
import copy
import io
import json
import tarfile
import time
from typing import Any, Dict, List, Tuple

from . import webhooks
from .http import (
    ApiError, collection, invalid_resource, new_id, not_found, now_iso, parse_query, public, require_fields,
)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_PENDING = 500
MAX_BATCH_WEBHOOKS = 20
RESULTS_PER_FILE = 500
BATCH_HIDDEN = ("operations",)


def results_url(emu: Any, batch_id: str) -> str:
    """Where the results archive of a batch is served (no auth needed)."""
    return f"{emu.public_url}/_emulator/batches/{batch_id}/results.tar.gz"


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


def _run_operation(emu: Any, ctx: Any, op: Dict[str, Any]) -> Dict[str, Any]:
    from .state import RequestContext
    path, _, inline_query = op["path"].partition("?")
    query = parse_query(inline_query)
    query.update({key: str(value) for key, value in (op.get("params") or {}).items()})
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
        sub = RequestContext(op["method"], path, query, body, key=ctx.key, in_batch=True)
        status, payload = emu.dispatch(sub)
        ctx.outbox.extend(sub.outbox)
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


def run_batch(emu: Any, ctx: Any, batch: Dict[str, Any]) -> None:
    """Run a pending batch to completion and notify the enabled batch webhooks."""
    batch["status"] = "started"
    results = [_run_operation(emu, ctx, op) for op in batch["operations"]]
    batch.update({"status": "finished", "finished_operations": len(results),
                  "errored_operations": sum(1 for r in results if r["status_code"] >= 400),
                  "completed_at": now_iso(), "response_body_url": results_url(emu, batch["id"])})
    emu.batch_archives[batch["id"]] = _archive(results)
    for hook in emu.batch_webhooks.values():
        if hook["enabled"]:
            payload = webhooks.build_payload("batch_operation_completed", public(batch, BATCH_HIDDEN))
            ctx.outbox.append((hook["url"], payload, "batch_operation_completed"))


def _get_batch(emu: Any, batch_id: str) -> Dict[str, Any]:
    batch = emu.batches.get(batch_id)
    if batch is None:
        raise not_found()
    return batch


def create(emu: Any, ctx: Any) -> Tuple[int, Any]:
    body = ctx.json_body()
    operations = _validate_operations(body.get("operations"))
    if sum(1 for b in emu.batches.values() if b["status"] != "finished") >= MAX_PENDING:
        raise ApiError(429, detail="You have more than 500 pending batches.")
    batch = {"id": new_id(), "status": "pending", "total_operations": len(operations), "finished_operations": 0,
             "errored_operations": 0, "submitted_at": now_iso(), "completed_at": "", "response_body_url": "",
             "operations": copy.deepcopy(operations)}
    emu.batches[batch["id"]] = batch
    return 200, public(batch, BATCH_HIDDEN)


def get_one(emu: Any, ctx: Any, batch_id: str) -> Tuple[int, Any]:
    batch = _get_batch(emu, batch_id)
    if batch["status"] == "pending":
        run_batch(emu, ctx, batch)
    return 200, public(batch, BATCH_HIDDEN)


def all_batches(emu: Any, ctx: Any) -> Tuple[int, Any]:
    for batch in emu.batches.values():
        if batch["status"] == "pending":
            run_batch(emu, ctx, batch)
    return 200, collection("batches", [public(b, BATCH_HIDDEN) for b in emu.batches.values()], ctx.query)


def delete(emu: Any, ctx: Any, batch_id: str) -> Tuple[int, Any]:
    _get_batch(emu, batch_id)
    del emu.batches[batch_id]
    emu.batch_archives.pop(batch_id, None)
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
