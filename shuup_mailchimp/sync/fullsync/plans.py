"""From Shuup rows to batch operations, and from a batch's results back to item outcomes.

The decisions are the incremental sync's own (``contacts.plan_contact``, ``consent.decide``,
``payloads``, ``orders.plan_order_customer``), so both agree on what an object needs and on its
fingerprint. Operation ids name the object and the part: ``c:<contact>:m`` (member),
``c:<contact>:c`` (customer), ``p:<product>``, ``o:<order>`` and ``o:<order>:l:<line>`` (a stale
line deleted after a PATCH).

Per object, a plan ends in one of: *send* (operations + what to record when they succeed),
*unchanged* (the fingerprint of the wanted state is the one last synced), *skipped* (the
incremental sync would send nothing either: no email, no permission, erased ...), *busy*
(a worker is sending it right now) or *per_record* (only the one-by-one path can do it: an
email change moves the member first).
"""
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from django.utils import timezone

from shuup_mailchimp.client.batches import operation, operation_size, response_of
from shuup_mailchimp.client.ecommerce import store_path
from shuup_mailchimp.client.errors import COMPLIANCE_TITLES, error_from_problem, is_already_exists
from shuup_mailchimp.client.members import member_path
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.sync import consent
from shuup_mailchimp.sync.contacts import member_put_body, plan_contact, state_after_member_write
from shuup_mailchimp.sync.fullsync import sources
from shuup_mailchimp.sync.interests import is_invalid_interest
from shuup_mailchimp.sync.orders import order_fingerprint, order_update_body, plan_order_customer, stale_line_ids
from shuup_mailchimp.sync.payloads import fingerprint, order_payload, product_body


@dataclass
class Context:
    """What every page of one run needs: the shop's settings and Mailchimp ids."""

    shop_settings: object
    interest_ids: Dict[int, str]  # group id -> interest id
    language: str
    since: Optional[object] = None

    @property
    def shop_id(self):
        return self.shop_settings.shop_id


@dataclass
class Planned:
    object_id: int
    operations: List[dict]
    meta: dict
    size: int = 0


@dataclass
class PagePlan:
    send: Dict[int, Planned] = field(default_factory=dict)
    tally: Counter = field(default_factory=Counter)
    #: {object id: the item's version read before the Shuup rows (None: no item)} of ``send``
    expected: Dict[int, Optional[int]] = field(default_factory=dict)
    per_record: List[int] = field(default_factory=list)


def plan_page(kind: SyncKind, ctx: Context, ids: List[int], own_tokens=()) -> PagePlan:
    """Plan one page of objects. The items are read first, the Shuup rows after: a change
    recorded in between moves the item's version, and the claim then gives it back.
    ``own_tokens``: claim tokens of this run's lost batches (their items are not busy)."""
    items = sources.items(ctx.shop_id, kind, ids)
    plan = PagePlan()
    planner = {SyncKind.CONTACT: _plan_contacts, SyncKind.PRODUCT: _plan_products, SyncKind.ORDER: _plan_orders}[kind]
    now = timezone.now()
    for object_id, outcome in planner(ctx, ids, items):
        item = items.get(object_id)
        if isinstance(outcome, str):
            plan.tally[outcome] += 1
            if outcome == "per_record":
                plan.per_record.append(object_id)
            continue
        if item is not None and item["synced_on"] and item["fingerprint"] == outcome.meta["fp"] and (
                "perm" not in outcome.meta or (item["state"] or {}).get("permission") == outcome.meta["perm"]):
            plan.tally["unchanged"] += 1  # a contact also needs the consent Mailchimp holds to be ours (contacts.py)
        elif item is not None and item["status"] == SyncStatus.PROCESSING and item["claimed_until"] and \
                item["claimed_until"] > now and item["claim_token"] not in own_tokens:
            plan.tally["busy"] += 1
        else:
            outcome.size = sum(operation_size(op) for op in outcome.operations)
            plan.send[object_id] = outcome
            plan.expected[object_id] = item["version"] if item is not None else None
    return plan


def _interests(ctx, member_of) -> Dict[str, bool]:
    """The full interest map, as ``interests.interest_map`` builds it."""
    return {interest_id: group_id in member_of for group_id, interest_id in ctx.interest_ids.items()}


def _plan_contacts(ctx, ids, items):
    rows = sources.contact_rows(ids, ctx.language)
    groups = sources.group_memberships(ids, list(ctx.interest_ids))
    erased = sources.erased(ctx.shop_id, ids)
    settings = ctx.shop_settings
    for object_id in ids:
        row = rows.get(object_id)
        if row is None:
            yield object_id, "skipped"
            continue
        state = (items.get(object_id) or {}).get("state") or {}
        plan = plan_contact(row, state, _interests(ctx, groups.get(object_id, set())), settings.send_transactional,
                            erased=object_id in erased)
        if plan.skip or plan.per_record:
            yield object_id, "skipped" if plan.skip else "per_record"
            continue
        decision = plan.decision
        member_op = operation("PUT", member_path(settings.audience_id, plan.email), "c:%d:m" % object_id,
                              member_put_body(plan.member, decision), fields="status")
        customer_op = operation("PUT", store_path(settings.store_id, "customers", plan.customer["id"]),
                                "c:%d:c" % object_id, plan.customer, fields="id")
        meta = {"fp": plan.fingerprint, "perm": plan.permission, "email": plan.email,
                "mf": plan.member["merge_fields"], "d": [decision.status, decision.status_if_new, decision.note],
                "rid": plan.customer["id"]}
        yield object_id, Planned(object_id, [member_op, customer_op], meta)


def _plan_products(ctx, ids, items):
    shop = ctx.shop_settings.shop
    families = sources.product_families(ids, shop)
    for object_id in ids:
        family = families.get(object_id)
        if family is None:
            yield object_id, "skipped"  # deleted in Shuup
            continue
        parent, children, shop_products, images = family
        body = product_body(parent, children, shop, shop_products, images)
        op = operation("PUT", store_path(ctx.shop_settings.store_id, "products", body["id"]), "p:%d" % object_id,
                       body, fields="id")
        yield object_id, Planned(object_id, [op], {"fp": fingerprint(body), "rid": body["id"]})


def _plan_orders(ctx, ids, items):
    settings = ctx.shop_settings
    order_list = sources.orders(ids)
    customer_ids = sources.order_customer_ids(order_list)
    contacts = sources.contact_rows(customer_ids, ctx.language)
    contact_states = sources.items(ctx.shop_id, SyncKind.CONTACT, customer_ids)
    erased = sources.erased(ctx.shop_id, customer_ids)
    by_id = {o.pk: o for o in order_list}
    for object_id in ids:
        order = by_id.get(object_id)
        if order is None:
            yield object_id, "skipped"
            continue
        contact = contacts.get(order.customer_id) if order.customer_id else None
        state = (contact_states.get(order.customer_id) or {}).get("state") or {}
        customer, why_not = plan_order_customer(order, contact, state, settings.send_transactional,
                                                erased=order.customer_id in erased)
        if customer is None:
            yield object_id, "skipped"
            continue
        body = order_payload(order, customer, lines=list(order.lines.all()))
        item = items.get(object_id) or {}
        remote_id = item.get("remote_id")
        oid = "o:%d" % object_id
        if remote_id:
            ops = [operation("PATCH", store_path(settings.store_id, "orders", body["id"]), oid, order_update_body(body),
                             fields="id")]
            ops += [operation("DELETE", store_path(settings.store_id, "orders", body["id"], "lines", line_id),
                              "%s:l:%s" % (oid, line_id)) for line_id in stale_line_ids(item.get("state"), body)]
        else:
            ops = [operation("POST", store_path(settings.store_id, "orders"), oid, body, fields="id")]
        meta = {"fp": order_fingerprint(body), "rid": body["id"], "lines": [line["id"] for line in body["lines"]],
                "note": body["financial_status"], "patch": bool(remote_id)}
        yield object_id, Planned(object_id, ops, meta)


# Results ------------------------------------------------------------------------------------------

@dataclass
class Applied:
    """A batch's results sorted for the outbox (dicts as ``outbox.finish_many`` / ``fail_many`` take)."""

    done: List[dict] = field(default_factory=list)
    failed: List[dict] = field(default_factory=list)
    per_record: List[dict] = field(default_factory=list)  # released: the one-by-one sync finishes them
    missing: List[dict] = field(default_factory=list)  # no result for them: released, sent one by one


def _ok(result) -> bool:
    return result is not None and 200 <= result["status_code"] < 300


def _problem(result):
    body = response_of(result)
    body = body if isinstance(body, dict) else {}
    return error_from_problem(result["status_code"], body, has_body=bool(body))


def _failed(entry, error, state=None) -> dict:
    return dict(entry, error=error, transient=error.is_transient, state=state)


def object_of(operation_id: str) -> Optional[int]:
    """The object id an operation id names (``c:17:m`` -> 17), or None for a foreign one."""
    parts = operation_id.split(":")
    try:
        return int(parts[1]) if len(parts) > 1 else None
    except ValueError:
        return None


def apply_results(kind: SyncKind, meta: Dict[str, dict], held: Dict[int, dict],
                  results: Dict[int, Dict[str, dict]]) -> Applied:
    """Sort the results of one batch. ``meta``: the batch's {object id: what it sent}; ``held``:
    {object id: {pk, version, attempts, state}} of its items still held (the others were finished
    already, e.g. by an earlier attempt at applying this batch); ``results``: {object id:
    {operation id: result}}."""
    applied = Applied()
    now_iso = timezone.now().isoformat()
    for key, sent in meta.items():
        object_id = int(key)
        entry = held.get(object_id)
        if entry is None:
            continue
        base = dict(pk=entry["pk"], version=entry["version"], attempts=entry["attempts"], object_id=object_id)
        mine = results.get(object_id, {})
        if kind == SyncKind.CONTACT:
            _contact_result(applied, base, entry, sent, mine, now_iso)
        elif kind == SyncKind.PRODUCT:
            result = mine.get("p:%d" % object_id)
            if result is None:
                applied.missing.append(base)
            elif _ok(result):
                applied.done.append(dict(base, fingerprint=sent["fp"], remote_id=sent["rid"]))
            else:
                applied.failed.append(_failed(base, _problem(result)))
        else:
            _order_result(applied, base, entry, sent, mine)
    return applied


def _contact_result(applied, base, entry, sent, results, now_iso):
    member, customer = results.get("c:%d:m" % base["object_id"]), results.get("c:%d:c" % base["object_id"])
    if member is None or customer is None:
        applied.missing.append(base)
        return
    if not _ok(member):
        error = _problem(member)
        if error.title in COMPLIANCE_TITLES or is_invalid_interest(error):
            applied.per_record.append(base)  # decided again with Mailchimp's answer, one by one
        else:
            applied.failed.append(_failed(base, error))
        return
    decision = consent.Decision(*sent["d"])
    remote_status = (response_of(member) or {}).get("status")
    state, note = state_after_member_write(entry["state"], sent["perm"], sent["email"], sent["mf"], decision,
                                           remote_status, now_iso)
    if _ok(customer):
        applied.done.append(dict(base, fingerprint=sent["fp"], remote_id=sent["rid"], state=state, note=note))
    else:  # the member is written: what Mailchimp said about it is kept, the customer goes again
        applied.failed.append(_failed(base, _problem(customer), state=state))


def _order_result(applied, base, entry, sent, results):
    oid = "o:%d" % base["object_id"]
    main = results.get(oid)
    if main is None:
        applied.missing.append(base)
        return
    if not _ok(main):
        error = _problem(main)
        if (not sent["patch"] and is_already_exists(error)) or (sent["patch"] and error.status == 404):
            applied.per_record.append(base)  # created by an earlier attempt / deleted in Mailchimp
        else:
            applied.failed.append(_failed(base, error))
        return
    for op_id, result in results.items():
        if op_id.startswith(oid + ":l:") and not _ok(result) and result["status_code"] != 404:
            applied.failed.append(_failed(base, _problem(result)))
            return
    state = dict(entry["state"] or {}, line_ids=sent["lines"])
    applied.done.append(dict(base, fingerprint=sent["fp"], remote_id=sent["rid"], state=state, note=sent["note"]))
