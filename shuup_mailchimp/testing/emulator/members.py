"""List members: identity by subscriber hash, upsert rules, lifecycle, validation, tags.

Members are keyed by md5 of the lowercased email; a raw email is also accepted in the path.
Stored members keep only what was written; ``render_member`` adds the derived parts (all of the
list's interests defaulting to false, ``stats.ecommerce_data`` rolled up from the orders of the
list's stores, ``tags_count``) so rollups can never go stale.

Consent (who unsubscribed matters; /work/shared/docs/mailchimp-api.md, "Titles and details seen
in the wild" and section 5 item 4). Each stored member that is (or was, before archiving)
``unsubscribed`` keeps an internal ``unsubscribed_by`` ("person", "admin", "api" or "bounce"),
never rendered in API responses but shown by ``snapshot()``. See :func:`in_compliance_state`:
- ``cleaned``, or ``unsubscribed`` by the person (email footer link, hosted form; webhook source
  ``user``) or by an admin in the Mailchimp UI, is a compliance state: ``status: subscribed``
  gives 400 "Member In Compliance State"; ``pending`` is accepted (Mailchimp emails a
  re-confirmation).
- ``unsubscribed`` by the account through the API can be set back to ``subscribed`` through the
  API (uk.co.vedaconsulting.mailchimp#374, spatie/laravel-newsletter#172).
- ``pending`` -> ``subscribed`` through the API is accepted (how API users skip double opt-in).
The emulator's person-side helpers (``MailchimpEmulator.unsubscribe_as_person``,
``clean_member``, ``subscribe_as_person``, ``fire_webhook``) set or clear the marker like the
real service would.
"""
import copy
from typing import Any, Dict, List, Optional, Tuple

from . import webhooks
from .http import (
    ApiError, as_bool, check_email, collection, get_or_404, invalid_resource, new_id, not_found, now_iso, path_member_hash,
    subscriber_hash,
)

SETTABLE_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
# Webhook source of a change -> who unsubscribed ("unsubscribed_by" of the stored member).
UNSUBSCRIBED_BY_SOURCE = {"user": "person", "admin": "admin", "api": "api"}
# Unsubscribes an API write can undo; everything else ("person", "admin", "bounce", unknown) cannot.
API_REVERSIBLE_UNSUBSCRIBES = ("api",)
OPTIONAL_FIELDS = ("language", "vip", "email_type", "ip_signup", "timestamp_signup", "ip_opt", "timestamp_opt",
                   "source")


def get_list(emu: Any, list_id: str) -> Dict[str, Any]:
    """The stored list, or 404."""
    return get_or_404(emu.lists, list_id)


def get_member(lst: Dict[str, Any], member_ref: str) -> Dict[str, Any]:
    """The stored member by hash or raw email, or 404."""
    member = lst["members"].get(path_member_hash(member_ref))
    if member is None:
        raise not_found()
    return member


def list_interest_ids(lst: Dict[str, Any]) -> List[str]:
    """Every interest id of the list, in category order."""
    return [interest_id for category in lst["interest_categories"].values() for interest_id in category["interests"]]


def ecommerce_data(emu: Any, list_id: str, email: str) -> Dict[str, Any]:
    """Roll up the orders of the list's stores whose customer has this email."""
    total, number, currency = 0.0, 0, ""
    for store in emu.stores.values():
        if store["list_id"] != list_id:
            continue
        for order in store["orders"].values():
            customer = store["customers"].get(order["customer"].get("id")) or order["customer"]
            if str(customer.get("email_address", "")).lower() == email.lower():
                total += float(order.get("order_total") or 0)
                number += 1
                currency = order.get("currency_code") or store.get("currency_code", "")
    return {"total_revenue": round(total, 2), "number_of_orders": number, "currency_code": currency}


def in_compliance_state(member: Dict[str, Any]) -> bool:
    """Whether an API write of ``status: subscribed`` must give 400 "Member In Compliance State".

    Rules (shared doc mailchimp-api.md, "Titles and details seen in the wild", and section 5 item 4;
    where the emulator might differ from the real API, the real API wins):
    - ``cleaned`` (bounce or abuse report) is a compliance state [obs, shared doc].
    - ``unsubscribed`` by the person (footer link, form; webhook source ``user``) is one [obs].
    - ``unsubscribed`` by an admin in the Mailchimp UI (webhook source ``admin``) is treated like
      the person. Guess: the doc only contrasts the person with the API; an admin acting in the UI
      usually records a withdrawal the person asked for, and refusing loses nothing.
    - ``unsubscribed`` by the account through the API is not: the API may set it back to
      ``subscribed`` (uk.co.vedaconsulting.mailchimp#374 "setting status subscribed on a
      formerly-unsubscribed address does work"; spatie/laravel-newsletter#172 "if you unsubscribe
      by this package ... it will resubscribe", but not after the email link).
    - A member unsubscribed without a recorded ``unsubscribed_by`` (state built by hand) counts as
      unsubscribed by the person, the stricter reading.
    - ``archived`` keeps the compliance state it was archived in. Guess: the doc says only "PUT can
      restore it"; restoring an archived person-unsubscribed or cleaned address as subscribed would
      lift a withdrawal, so the emulator refuses it like the unarchived member.
    - ``pending`` is never a compliance state: pending -> subscribed through the API is accepted
      (that is how API users skip double opt-in) [obs, shared doc]. Guess: this also holds for a
      member set pending from a compliance state (re-confirmation emailed); the doc gives no
      exception, and being lax here shows up a sync that would confirm someone without their click.
    """
    status = member["status"]
    if status == "archived":
        status = member.get("previous_status")
    if status == "cleaned":
        return True
    if status == "unsubscribed":
        return member.get("unsubscribed_by") not in API_REVERSIBLE_UNSUBSCRIBES
    return False


def mark_unsubscribed(member: Dict[str, Any], by: str) -> None:
    """Record who unsubscribed the member (status is set by the caller)."""
    member["unsubscribed_by"] = by


def clear_unsubscribed(member: Dict[str, Any]) -> None:
    """Forget who unsubscribed the member (it left ``unsubscribed`` for another live status)."""
    member.pop("unsubscribed_by", None)


def effective_status(member: Dict[str, Any]) -> Optional[str]:
    """The status, or for an archived member the status it was archived in."""
    return member.get("previous_status") if member["status"] == "archived" else member["status"]


def _track_unsubscriber(existing: Optional[Dict[str, Any]], member: Dict[str, Any], status: str,
                        source: str) -> None:
    """Keep ``unsubscribed_by`` in step with an API write (``member`` is the updated copy)."""
    if status != "unsubscribed":
        clear_unsubscribed(member)
        return
    old = effective_status(existing) if existing is not None else None
    if old == "unsubscribed":
        # Still unsubscribed: whoever did it stays on record (an API write cannot turn a person's
        # unsubscribe into an API one and so make it reversible).
        mark_unsubscribed(member, existing.get("unsubscribed_by") or "person")
    elif old == "cleaned":
        # Guess: an API write never lifts a compliance state (only pending, a re-confirmation, does),
        # so a cleaned address unsubscribed through the API stays in compliance state.
        mark_unsubscribed(member, "bounce")
    else:
        mark_unsubscribed(member, UNSUBSCRIBED_BY_SOURCE.get(source, "person"))


def render_member(emu: Any, lst: Dict[str, Any], member: Dict[str, Any]) -> Dict[str, Any]:
    """The member as the API returns it, with derived fields filled in (internal fields removed)."""
    result = copy.deepcopy(member)
    result.pop("previous_status", None)
    result.pop("unsubscribed_by", None)
    # Like the real API: every merge field of the list is present, "" when unset.
    result["merge_fields"] = {tag: member["merge_fields"].get(tag, "") for tag in lst["merge_fields"]}
    result["interests"] = {interest_id: bool(member["interests"].get(interest_id, False))
                           for interest_id in list_interest_ids(lst)}
    result["stats"] = {"avg_open_rate": 0, "avg_click_rate": 0,
                       "ecommerce_data": ecommerce_data(emu, lst["id"], member["email_address"])}
    result["tags_count"] = len(member["tags"])
    return result


def _validate_merge_fields(lst: Dict[str, Any], merges: Dict[str, Any], skip: bool) -> None:
    if skip:
        return
    errors = [{"field": tag, "message": "Please enter a value"} for tag, field in lst["merge_fields"].items()
              if field.get("required") and merges.get(tag) in (None, "", {})]
    if errors:
        raise invalid_resource("Your merge fields were invalid.", errors)


def _validate_interests(lst: Dict[str, Any], interests: Any) -> Dict[str, bool]:
    if not isinstance(interests, dict):
        raise invalid_resource(errors=[{"field": "interests", "message": "Schema describes object"}])
    known = set(list_interest_ids(lst))
    for interest_id in interests:
        if interest_id not in known:
            raise invalid_resource(f"Invalid interest ID: '{interest_id}'.",
                                   [{"field": "interests", "message": f"Invalid interest ID: '{interest_id}'."}])
    return {key: as_bool(value) for key, value in interests.items()}


def _new_member(lst: Dict[str, Any], email: str, emu: Any) -> Dict[str, Any]:
    now = now_iso()
    return {
        "id": subscriber_hash(email), "email_address": email, "unique_email_id": new_id(),
        "contact_id": new_id(32), "full_name": "", "web_id": emu.next_int(), "email_type": "html",
        "status": "pending", "merge_fields": {}, "interests": {}, "ip_signup": "", "timestamp_signup": "",
        "ip_opt": "", "timestamp_opt": now, "member_rating": 2, "last_changed": now, "language": "", "vip": False,
        "email_client": "", "location": {"latitude": 0, "longitude": 0, "gmtoff": 0, "dstoff": 0,
                                         "country_code": "", "timezone": ""},
        "marketing_permissions": [dict(perm, enabled=False) for perm in list_permissions(emu, lst)],
        "source": "API - Generic", "tags": [], "list_id": lst["id"],
    }


def _resolve_status(mode: str, existing: Optional[Dict[str, Any]], body: Dict[str, Any]) -> str:
    if mode == "post":
        status = body.get("status")
        field = "status"
    elif existing is None:
        # Real API: status_if_new is required for a new address on PUT (status alone is [unverified]).
        status, field = body.get("status_if_new"), "status_if_new"
    elif existing["status"] == "archived":
        status, field = body.get("status") or body.get("status_if_new"), "status"
    else:
        status, field = body.get("status") or existing["status"], "status"
    if status not in SETTABLE_STATUSES:
        raise invalid_resource(errors=[{"field": field, "message": "Value is not one of the enum values: "
                                        + ", ".join(SETTABLE_STATUSES)}])
    return status


def save_member(emu: Any, ctx: Any, lst: Dict[str, Any], member_ref: Optional[str], body: Dict[str, Any],
                mode: str, source: str = "api") -> Dict[str, Any]:
    """Create or update a member with the API's rules; ``mode`` is "post", "put" or "patch"."""
    email = body.get("email_address")
    if mode == "post" or (mode == "put" and member_ref is None):
        if not email:
            raise invalid_resource(errors=[{"field": "email_address", "message": "This value should not be blank."}])
    member_hash = path_member_hash(member_ref) if member_ref else subscriber_hash(check_email(email))
    existing = lst["members"].get(member_hash)
    if mode == "patch" and existing is None:
        raise not_found()
    if existing is None and member_hash in lst["forgotten_hashes"]:
        shown = email or member_ref
        raise ApiError(400, "Forgotten Email Not Subscribed",
                       f"{shown} was permanently deleted and cannot be re-imported. "
                       "The contact must re-subscribe to get back on the list.")
    if existing is not None and mode == "post" and existing["status"] != "archived":
        raise ApiError(400, "Member Exists",
                       f"{existing['email_address']} is already a list member. Use PUT to insert or update list members.")
    if existing is None:
        if not email:
            raise invalid_resource(errors=[{"field": "email_address", "message": "This value should not be blank."}])
        check_email(email)
        if subscriber_hash(email) != member_hash:
            raise invalid_resource("The email address passed does not match the supplied subscriber hash")
    status = _resolve_status(mode, existing, body)
    old_status = existing["status"] if existing else None
    if existing is not None and status == "subscribed" and in_compliance_state(existing):
        # Only cleaned and person/admin-unsubscribed members (see in_compliance_state for the sources).
        raise ApiError(400, "Member In Compliance State",
                       f"{existing['email_address']} is in a compliance state due to unsubscribe, bounce, "
                       "or compliance review and cannot be subscribed.")
    new_email = None
    if existing is not None and email and email.lower() != existing["email_address"].lower():
        check_email(email)
        if subscriber_hash(email) in lst["members"]:
            raise ApiError(400, "Member Exists", f"{email} is already a list member. "
                           "Use PUT to insert or update list members.")
        new_email = email
    member = copy.deepcopy(existing) if existing else _new_member(lst, email, emu)
    merges = dict(member["merge_fields"])
    incoming = body.get("merge_fields") or {}
    if not isinstance(incoming, dict):
        raise invalid_resource("Your merge fields were invalid.",
                               [{"field": "merge_fields", "message": "Schema describes object"}])
    # Guess: unknown tags are dropped silently (the real API only stores defined merge fields).
    merges.update({tag.upper(): value for tag, value in incoming.items() if tag.upper() in lst["merge_fields"]})
    _validate_merge_fields(lst, merges, as_bool(ctx.query.get("skip_merge_validation", False)) if ctx else False)
    interests = dict(member["interests"])
    if "interests" in body:
        interests.update(_validate_interests(lst, body["interests"]))
    profile_changed = existing is not None and (merges != member["merge_fields"] or interests != member["interests"])
    member.update({"merge_fields": merges, "interests": interests, "status": status, "last_changed": now_iso()})
    _track_unsubscriber(existing, member, status, source)
    for name in OPTIONAL_FIELDS:
        if name in body:
            member[name] = body[name]
    if "marketing_permissions" in body:
        _update_permissions(emu, lst, member, body["marketing_permissions"])
    if status == "subscribed" and not member["timestamp_signup"]:
        member["timestamp_signup"] = member["last_changed"]
    if new_email:
        del lst["members"][member_hash]
        member["email_address"], member["id"] = new_email, subscriber_hash(new_email)
    lst["members"][member["id"]] = member
    if mode == "post" and body.get("tags"):
        set_tags(emu, lst, member, [{"name": name, "status": "active"} for name in body["tags"]])
    _queue_events(emu, ctx, lst, member, old_status, profile_changed, existing, new_email, source)
    return member


def _update_permissions(emu: Any, lst: Dict[str, Any], member: Dict[str, Any], permissions: Any) -> None:
    """Set ``enabled`` of the member's GDPR permissions. On a GDPR-enabled audience only its own
    permission ids are accepted (400 otherwise) and ``text`` stays the audience's. Guess: the real
    wording of that 400 is not documented."""
    if not isinstance(permissions, list):
        raise invalid_resource(errors=[{"field": "marketing_permissions", "message": "Schema describes array"}])
    known = {perm["marketing_permission_id"]: perm for perm in list_permissions(emu, lst)}
    by_id = {perm.get("marketing_permission_id"): perm for perm in member["marketing_permissions"]}
    for perm in permissions:
        if not isinstance(perm, dict):
            raise invalid_resource(errors=[{"field": "marketing_permissions", "message": "Schema describes object"}])
        perm_id = perm.get("marketing_permission_id")
        if known and perm_id not in known:
            raise invalid_resource(f"Invalid marketing permission ID: '{perm_id}'.", [
                {"field": "marketing_permissions", "message": f"Invalid marketing permission ID: '{perm_id}'."}])
        entry = by_id.setdefault(perm_id, dict(known.get(perm_id) or {"marketing_permission_id": perm_id,
                                                                      "text": ""}, enabled=False))
        if "enabled" in perm:
            entry["enabled"] = as_bool(perm["enabled"])
        if not known and "text" in perm:
            entry["text"] = perm["text"]
    member["marketing_permissions"] = list(by_id.values())


# --- GDPR-enabled audiences ---------------------------------------------------------------------------
# The real list resource only says ``marketing_permissions: true``; the permissions themselves are seen
# on members (mc-woocommerce reads ``members.marketing_permissions`` of one member). The emulator keeps
# an audience's permissions on itself (``emu.gdpr_permissions``); a state file restored without them
# finds them again on the audience's members.

def enable_marketing_permissions(emu: Any, list_id: str, texts: List[str]) -> List[Dict[str, Any]]:
    """Make the audience GDPR-enabled with these permissions (e.g. ``["Email", "Direct Mail"]``): the
    list says ``marketing_permissions: true``, every member (existing and new) carries them, disabled
    until written. Returns ``[{marketing_permission_id, text}]``."""
    with emu._lock:
        lst = get_list(emu, list_id)
        permissions = [{"marketing_permission_id": new_id(), "text": str(text)} for text in texts]
        _permission_store(emu)[list_id] = permissions
        lst["marketing_permissions"] = True
        for member in lst["members"].values():
            have = {perm.get("marketing_permission_id") for perm in member["marketing_permissions"]}
            member["marketing_permissions"] += [dict(perm, enabled=False) for perm in permissions
                                                if perm["marketing_permission_id"] not in have]
        return copy.deepcopy(permissions)


def list_permissions(emu: Any, lst: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The audience's GDPR permissions ``[{marketing_permission_id, text}]``; [] when it has none."""
    if lst.get("marketing_permissions") is not True:
        return []
    known = _permission_store(emu).get(lst["id"])
    if known is None:  # restored from a state file: the members still carry them
        seen: Dict[str, Dict[str, Any]] = {}
        for member in lst["members"].values():
            for perm in member.get("marketing_permissions") or []:
                seen.setdefault(perm.get("marketing_permission_id"), {
                    "marketing_permission_id": perm.get("marketing_permission_id"), "text": perm.get("text", "")})
        known = _permission_store(emu)[lst["id"]] = list(seen.values())
    return known


def _permission_store(emu: Any) -> Dict[str, List[Dict[str, Any]]]:
    store = getattr(emu, "gdpr_permissions", None)
    if store is None:
        store = emu.gdpr_permissions = {}
    return store


def _queue_events(emu: Any, ctx: Any, lst: Dict[str, Any], member: Dict[str, Any], old_status: Optional[str],
                  profile_changed: bool, existing: Optional[Dict[str, Any]], new_email: Optional[str],
                  source: str) -> None:
    if ctx is None:
        return
    status = member["status"]
    if new_email and existing is not None:
        webhooks.queue_event(emu, ctx.outbox, lst, "upemail", source, webhooks.upemail_data(
            lst, existing["email_address"], member))
    if status != old_status:
        if status == "subscribed":
            webhooks.queue_member_event(emu, ctx.outbox, lst, member, "subscribe", source)
        elif status == "unsubscribed" and old_status in ("subscribed", "pending", "transactional"):
            webhooks.queue_member_event(emu, ctx.outbox, lst, member, "unsubscribe", source,
                                        {"action": "unsub", "reason": "manual", "campaign_id": ""})
        elif status == "cleaned":
            webhooks.queue_event(emu, ctx.outbox, lst, "cleaned", source, webhooks.cleaned_data(lst, member))
    elif profile_changed and status == "subscribed":
        webhooks.queue_member_event(emu, ctx.outbox, lst, member, "profile", source)


def set_tags(emu: Any, lst: Dict[str, Any], member: Dict[str, Any], tags: List[Dict[str, Any]]) -> None:
    """Apply ``[{name, status: active|inactive}]``; active names that are new become static segments."""
    from .segments import find_or_create_tag
    for tag in tags:
        name = str(tag.get("name", "")).strip()
        if not name:
            raise invalid_resource(errors=[{"field": "tags", "message": "Tag name is required."}])
        current = [t for t in member["tags"] if t["name"] == name]
        if tag.get("status", "active") == "inactive":
            member["tags"] = [t for t in member["tags"] if t["name"] != name]
        elif not current:
            segment = find_or_create_tag(emu, lst, name)
            member["tags"].append({"id": segment["id"], "name": name, "date_added": now_iso()})


# --- handlers --------------------------------------------------------------------------------------

def list_members(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    query = ctx.query
    members = [render_member(emu, lst, m) for m in lst["members"].values()]
    if query.get("status"):
        members = [m for m in members if m["status"] == query["status"]]
    if query.get("unique_email_id"):
        members = [m for m in members if m["unique_email_id"] == query["unique_email_id"]]
    if as_bool(query.get("vip_only", False)):
        members = [m for m in members if m["vip"]]
    if query.get("since_last_changed"):
        members = [m for m in members if m["last_changed"] >= query["since_last_changed"]]
    if query.get("before_last_changed"):
        members = [m for m in members if m["last_changed"] < query["before_last_changed"]]
    if query.get("interest_ids"):
        wanted = query["interest_ids"].split(",")
        match = query.get("interest_match", "any")
        hits = {"any": any, "all": all}.get(match)
        if hits:
            members = [m for m in members if hits(m["interests"].get(i) for i in wanted)]
        else:
            members = [m for m in members if not any(m["interests"].get(i) for i in wanted)]
    return 200, collection("members", members, query, list_id=list_id)


def get_one(emu: Any, ctx: Any, list_id: str, member: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    return 200, render_member(emu, lst, get_member(lst, member))


def create(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    return 200, render_member(emu, lst, save_member(emu, ctx, lst, None, ctx.json_body(), "post"))


def upsert(emu: Any, ctx: Any, list_id: str, member: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    return 200, render_member(emu, lst, save_member(emu, ctx, lst, member, ctx.json_body(), "put"))


def patch(emu: Any, ctx: Any, list_id: str, member: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    return 200, render_member(emu, lst, save_member(emu, ctx, lst, member, ctx.json_body(), "patch"))


def archive(emu: Any, ctx: Any, list_id: str, member: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    stored = get_member(lst, member)
    if stored["status"] == "archived":
        raise not_found()
    if stored["status"] == "subscribed":
        webhooks.queue_member_event(emu, ctx.outbox, lst, stored, "unsubscribe", "api",
                                    {"action": "delete", "reason": "manual", "campaign_id": ""})
    stored["previous_status"] = stored["status"]
    stored["status"] = "archived"
    stored["last_changed"] = now_iso()
    return 204, None


def delete_permanent(emu: Any, ctx: Any, list_id: str, member: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    stored = get_member(lst, member)
    if stored["status"] == "subscribed":
        webhooks.queue_member_event(emu, ctx.outbox, lst, stored, "unsubscribe", "api",
                                    {"action": "delete", "reason": "manual", "campaign_id": ""})
    del lst["members"][stored["id"]]
    lst["forgotten_hashes"].append(stored["id"])
    return 204, None


def post_tags(emu: Any, ctx: Any, list_id: str, member: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    stored = get_member(lst, member)
    tags = ctx.json_body().get("tags")
    if not isinstance(tags, list):
        raise invalid_resource(errors=[{"field": "tags", "message": "Schema describes array"}])
    set_tags(emu, lst, stored, tags)
    return 204, None


def get_tags(emu: Any, ctx: Any, list_id: str, member: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    stored = get_member(lst, member)
    return 200, collection("tags", copy.deepcopy(stored["tags"]), ctx.query)


def activity(emu: Any, ctx: Any, list_id: str, member: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    stored = get_member(lst, member)
    return 200, {"activity": [], "email_id": stored["id"], "list_id": list_id, "total_items": 0, "_links": []}


ROUTES = [
    ("GET", "lists/{list_id}/members", list_members),
    ("POST", "lists/{list_id}/members", create),
    ("GET", "lists/{list_id}/members/{member}", get_one),
    ("PUT", "lists/{list_id}/members/{member}", upsert),
    ("PATCH", "lists/{list_id}/members/{member}", patch),
    ("DELETE", "lists/{list_id}/members/{member}", archive),
    ("POST", "lists/{list_id}/members/{member}/actions/delete-permanent", delete_permanent),
    ("POST", "lists/{list_id}/members/{member}/tags", post_tags),
    ("GET", "lists/{list_id}/members/{member}/tags", get_tags),
    ("GET", "lists/{list_id}/members/{member}/activity", activity),
    ("GET", "lists/{list_id}/members/{member}/activity-feed", activity),
]
