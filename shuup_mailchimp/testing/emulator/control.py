"""The emulator's own routes under ``/_emulator/`` (no auth) and the state snapshot.

- ``GET /_emulator/state``: ``snapshot()``
- ``POST /_emulator/reset``
- ``POST /_emulator/fire-webhook`` with JSON ``{list_id, type, email, source, data}``
- The person's side of the audience (``MailchimpEmulator.unsubscribe_as_person`` and friends), each
  answering ``{"deliveries": [...], "member": {...}}`` (the member as ``snapshot()`` shows it, with
  ``unsubscribed_by``), 404 for an unknown list or member, 400 without ``list_id``/``email``:

  - ``POST /_emulator/members/unsubscribe`` with JSON ``{list_id, email, campaign_id?, reason?}``:
    the person clicked the unsubscribe link (a compliance state; webhook ``unsubscribe``, source
    ``user``).
  - ``POST /_emulator/members/clean`` with JSON ``{list_id, email, reason?, campaign_id?, source?}``:
    the address bounced (``reason`` "hard", default) or reported abuse (webhook ``cleaned``).
  - ``POST /_emulator/members/subscribe`` with JSON ``{list_id, email, merges?}``: the person signed
    up on a form or confirmed a (re-)confirmation email (webhook ``subscribe``, source ``user``).
- ``POST /_emulator/config`` with JSON ``{fault_rate, fault_kinds, latency, seed, max_concurrent,
  bodiless_throttle_status, batch_processing, batch_start_delay, batch_operation_time, batch_archive_ttl}``
  (the batch options: see ``batches``; ``fault_kinds``: see ``faults``)
- ``POST /_emulator/campaigns`` with JSON ``{list_id, id?, title?, subject_line?, send_time?, status?,
  opens?, unique_opens?, clicks?, subscriber_clicks?, ...}``: seed a campaign with its report
  (``MailchimpEmulator.seed_campaign``); ``PATCH /_emulator/campaigns/<id>`` changes one
  (``update_campaign``: status, send time, report counters).
- ``GET /_emulator/batches/<id>/results.tar.gz``: a finished batch's results archive (403 once expired)
"""
import copy
import json
import re
from typing import Any, Dict, Tuple

from .http import ApiError, invalid_resource, problem_body, subscriber_hash


def snapshot(emu: Any) -> Dict[str, Any]:
    """The whole state, with derived member stats and campaign reports; the caller holds the lock."""
    from .campaigns import render_campaign, render_report
    from .lists import render_list
    lists = {}
    for list_id, lst in emu.lists.items():
        data = copy.deepcopy(lst)
        data.update(render_list(emu, lst))
        data["members"] = {key: snapshot_member(emu, lst, member) for key, member in lst["members"].items()}
        lists[list_id] = data
    campaigns = {}
    for campaign_id, campaign in emu.campaigns.items():
        campaigns[campaign_id] = dict(render_campaign(emu, campaign), report=render_report(emu, campaign))
    return {"lists": lists, "stores": copy.deepcopy(emu.stores), "batches": copy.deepcopy(emu.batches),
            "batch_webhooks": copy.deepcopy(emu.batch_webhooks), "campaigns": campaigns, "stats": dict(emu.stats)}


def snapshot_member(emu: Any, lst: Dict[str, Any], member: Dict[str, Any]) -> Dict[str, Any]:
    """The member as the API renders it plus, when set, the internal ``unsubscribed_by``."""
    from .members import render_member
    data = render_member(emu, lst, member)
    if member.get("unsubscribed_by"):
        data["unsubscribed_by"] = member["unsubscribed_by"]
    return data


PERSON_ACTIONS = {
    # route suffix -> (emulator method, optional JSON keys passed on)
    "unsubscribe": ("unsubscribe_as_person", ("campaign_id", "reason")),
    "clean": ("clean_member", ("reason", "campaign_id", "source")),
    "subscribe": ("subscribe_as_person", ("merges",)),
}


def _person_action(emu: Any, action: str, data: Dict[str, Any]) -> Dict[str, Any]:
    method, optional = PERSON_ACTIONS[action]
    missing = [name for name in ("list_id", "email") if not isinstance(data.get(name), str) or not data[name]]
    if missing:
        raise invalid_resource(errors=[{"field": name, "message": "This value should not be blank."}
                                       for name in missing])
    if "merges" in data and not isinstance(data["merges"], dict):
        raise invalid_resource(errors=[{"field": "merges", "message": "Schema describes object"}])
    list_id, email = data["list_id"], data["email"]
    deliveries = getattr(emu, method)(list_id, email, **{name: data[name] for name in optional if name in data})
    with emu._lock:
        lst = emu.lists.get(list_id)
        member = lst["members"].get(subscriber_hash(email)) if lst else None
        rendered = snapshot_member(emu, lst, member) if member else None
    return {"deliveries": deliveries, "member": rendered}


def _json(body: bytes) -> Dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8")) if body and body.strip() else {}
    except ValueError:
        raise ApiError(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.")
    if not isinstance(data, dict):
        raise ApiError(400, "JSON Parse Error", "Expected a JSON object.")
    return data


def _configure(emu: Any, data: Dict[str, Any]) -> Dict[str, Any]:
    if "fault_rate" in data:
        emu.fault_rate = float(data["fault_rate"])
    if "latency" in data:
        emu.latency = float(data["latency"])
    if "seed" in data:
        emu.faults.reseed(data["seed"])
    if "fault_kinds" in data:
        try:
            emu.fault_kinds = list(data["fault_kinds"] or ())
        except (TypeError, ValueError) as exc:
            raise invalid_resource(errors=[{"field": "fault_kinds", "message": str(exc)}])
    if "max_concurrent" in data:
        emu.max_concurrent = int(data["max_concurrent"])
    if "bodiless_throttle_status" in data:
        emu.bodiless_throttle_status = data["bodiless_throttle_status"] or None
    from .batches import PROCESSING_MODES
    if data.get("batch_processing") not in (None,) + PROCESSING_MODES:
        raise invalid_resource(errors=[{"field": "batch_processing", "message": "One of " + ", ".join(PROCESSING_MODES)}])
    for name in ("batch_processing", "batch_start_delay", "batch_operation_time", "batch_archive_ttl"):
        if name in data:
            setattr(emu, name, data[name])
    return {"fault_rate": emu.fault_rate, "fault_kinds": list(emu.fault_kinds), "latency": emu.latency,
            "seed": emu.faults.seed, "faults_by_kind": dict(emu.faults.counts),
            "max_concurrent": emu.max_concurrent, "bodiless_throttle_status": emu.bodiless_throttle_status,
            "batch_processing": emu.batch_processing, "batch_start_delay": emu.batch_start_delay,
            "batch_operation_time": emu.batch_operation_time, "batch_archive_ttl": emu.batch_archive_ttl}


def handle(emu: Any, method: str, path: str, query: Dict[str, str], body: bytes) -> Tuple[int, Dict[str, str], bytes]:
    """Serve a ``/_emulator/...`` request."""
    try:
        archive = re.match(r"^/_emulator/batches/([^/]+)/results\.tar\.gz$", path)
        if archive and method == "GET":
            from .batches import archive_response
            return archive_response(emu, archive.group(1))
        if path == "/_emulator/state" and method == "GET":
            return emu._respond(200, emu.snapshot())
        if path == "/_emulator/reset" and method == "POST":
            emu.reset()
            return emu._respond(200, {"reset": True})
        if path == "/_emulator/fire-webhook" and method == "POST":
            data = _json(body)
            deliveries = emu.fire_webhook(data.get("list_id", ""), data.get("type", ""), data.get("email", ""),
                                          data.get("source", "user"), **(data.get("data") or {}))
            return emu._respond(200, {"deliveries": deliveries})
        person = re.match(r"^/_emulator/members/(unsubscribe|clean|subscribe)$", path)
        if person and method == "POST":
            return emu._respond(200, _person_action(emu, person.group(1), _json(body)))
        if path == "/_emulator/campaigns" and method == "POST":
            data = _json(body)
            if not isinstance(data.get("list_id"), str) or not data["list_id"]:
                raise invalid_resource(errors=[{"field": "list_id", "message": "This value should not be blank."}])
            return emu._respond(200, emu.seed_campaign(data.pop("list_id"), **data))
        campaign = re.match(r"^/_emulator/campaigns/([^/]+)$", path)
        if campaign and method == "PATCH":
            return emu._respond(200, emu.update_campaign(campaign.group(1), **_json(body)))
        if path == "/_emulator/config" and method == "POST":
            return emu._respond(200, _configure(emu, _json(body)))
        raise ApiError(404)
    except ApiError as error:
        return emu._respond(error.status, problem_body(error))
