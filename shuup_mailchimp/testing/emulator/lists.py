"""Lists (audiences) and their sub-resources: interest categories, merge fields and list webhooks.

Segments and tags live in ``segments.py``; outgoing webhook delivery in ``webhooks.py``.
"""
import copy
import re
from typing import Any, Dict, Optional, Tuple

from . import webhooks
from .http import (
    ApiError, as_bool, collection, deep_merge, invalid_resource, new_id, not_found, now_iso, public, require_fields,
    subscriber_hash,
)
from .members import get_list, render_member, save_member

LIST_CHILDREN = ("members", "interest_categories", "merge_fields", "segments", "webhooks", "forgotten_hashes")
DEFAULT_MERGE_FIELDS = (("FNAME", "First Name", "text"), ("LNAME", "Last Name", "text"),
                        ("ADDRESS", "Address", "address"), ("PHONE", "Phone Number", "phone"),
                        ("BIRTHDAY", "Birthday", "birthday"))
WEBHOOK_EVENTS = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
WEBHOOK_SOURCES = ("user", "admin", "api")


def render_list(emu: Any, lst: Dict[str, Any]) -> Dict[str, Any]:
    """The list resource with live member statistics."""
    result = public(lst, LIST_CHILDREN)
    statuses = [m["status"] for m in lst["members"].values()]
    result["stats"] = {
        "member_count": statuses.count("subscribed"), "total_contacts": len(statuses),
        "unsubscribe_count": statuses.count("unsubscribed"), "cleaned_count": statuses.count("cleaned"),
        "member_count_since_send": 0, "unsubscribe_count_since_send": 0, "cleaned_count_since_send": 0,
        "campaign_count": sum(1 for c in emu.campaigns.values() if c["recipients"]["list_id"] == lst["id"]),
        "merge_field_count": len(lst["merge_fields"]), "avg_sub_rate": 0, "avg_unsub_rate": 0,
        "open_rate": 0, "click_rate": 0, "last_sub_date": "", "last_unsub_date": "",
    }
    return result


def create_list_record(emu: Any, body: Dict[str, Any], list_id: Optional[str] = None,
                       fill_defaults: bool = False) -> Dict[str, Any]:
    """Store a new list with the usual merge fields (FNAME, LNAME, ADDRESS, PHONE, BIRTHDAY)."""
    list_id = list_id or new_id()
    if list_id in emu.lists:
        raise ApiError(400, detail=f"A list with the id {list_id} already exists.")
    name = body.get("name", "Demo audience")
    defaults = {
        "contact": {"company": name, "address1": "1 Main Street", "address2": "", "city": "Helsinki", "state": "",
                    "zip": "00100", "country": "FI", "phone": ""},
        "permission_reminder": "You signed up on our shop.",
        "campaign_defaults": {"from_name": name, "from_email": "shop@shop.test", "subject": "", "language": "en"},
        "email_type_option": False,
    } if fill_defaults else {}
    defaults.update(copy.deepcopy(body))
    web_id = emu.next_int()
    lst = dict({"id": list_id, "web_id": web_id, "name": name, "use_archive_bar": False,
                "notify_on_subscribe": "", "notify_on_unsubscribe": "", "date_created": now_iso(),
                "list_rating": 0, "subscribe_url_short": f"http://eepurl.test/{list_id}",
                "subscribe_url_long": f"https://mailchimp.test/subscribe?id={list_id}",
                "beamer_address": f"{list_id}@inbound.mailchimp.test", "visibility": "pub", "double_optin": False,
                "has_welcome": False, "marketing_permissions": False, "modules": []}, **defaults)
    lst.update({"members": {}, "interest_categories": {}, "merge_fields": {}, "segments": {}, "webhooks": {},
                "forgotten_hashes": []})
    emu.lists[list_id] = lst
    for tag, label, field_type in DEFAULT_MERGE_FIELDS:
        create_merge_field(lst, {"tag": tag, "name": label, "type": field_type})
    return render_list(emu, lst)


def create_merge_field(lst: Dict[str, Any], body: Dict[str, Any]) -> Dict[str, Any]:
    """Store a merge field; the tag is generated from the name when omitted."""
    require_fields(body, ("name", "type"))
    tag = str(body.get("tag") or re.sub(r"[^A-Z0-9]", "", body["name"].upper())[:10] or "MERGE").upper()
    if tag in lst["merge_fields"] or tag == "EMAIL":
        if body.get("tag"):
            raise invalid_resource(f"A Merge Field with the tag \"{tag}\" already exists for this list.")
        base, n = tag[:8], 1
        while tag in lst["merge_fields"] or tag == "EMAIL":
            n += 1
            tag = f"{base}{n}"
    merge_id = max([f["merge_id"] for f in lst["merge_fields"].values()] or [0]) + 1
    field = {"merge_id": merge_id, "tag": tag, "name": body["name"], "type": body["type"],
             "required": as_bool(body.get("required", False)), "default_value": body.get("default_value", ""),
             "public": as_bool(body.get("public", False)), "display_order": body.get("display_order", merge_id + 1),
             "options": body.get("options", {}), "help_text": body.get("help_text", ""), "list_id": lst["id"]}
    lst["merge_fields"][tag] = field
    return field


def _get(collection_: Dict[str, Any], key: str) -> Dict[str, Any]:
    if key not in collection_:
        raise not_found()
    return collection_[key]


# --- lists -----------------------------------------------------------------------------------------

def all_lists(emu: Any, ctx: Any) -> Tuple[int, Any]:
    items = list(emu.lists.values())
    if ctx.query.get("email"):
        wanted = subscriber_hash(ctx.query["email"])
        items = [lst for lst in items if wanted in lst["members"]]
    return 200, collection("lists", [render_list(emu, lst) for lst in items], ctx.query)


def create_list(emu: Any, ctx: Any) -> Tuple[int, Any]:
    body = ctx.json_body()
    require_fields(body, ("name", "contact", "permission_reminder", "campaign_defaults", "email_type_option"))
    # Real lists often have an empty state or subject: nested keys must be present, may be blank.
    require_fields(body["contact"], ("company", "address1", "city", "state", "zip", "country"), allow_blank=True)
    require_fields(body["campaign_defaults"], ("from_name", "from_email", "subject", "language"), allow_blank=True)
    return 200, create_list_record(emu, body)


def get_one_list(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    return 200, render_list(emu, get_list(emu, list_id))


def patch_list(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    deep_merge(lst, {k: v for k, v in ctx.json_body().items() if k not in LIST_CHILDREN + ("id",)})
    return 200, render_list(emu, lst)


def delete_list(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    get_list(emu, list_id)
    del emu.lists[list_id]
    return 204, None


def batch_subscribe(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    body = ctx.json_body()
    update_existing = as_bool(body.get("update_existing", False))
    created, updated, errors = [], [], []
    for item in body.get("members") or []:
        email = item.get("email_address", "")
        exists = subscriber_hash(email) in lst["members"] if email else False
        try:
            if exists and not update_existing:
                raise ApiError(400, "Member Exists", f"{email} is already a list member.")
            data = dict(item, status_if_new=item.get("status_if_new") or item.get("status"))
            member = save_member(emu, ctx, lst, subscriber_hash(email) if exists else None, data,
                                 "put" if exists else "post")
            (updated if exists else created).append(render_member(emu, lst, member))
        except ApiError as error:
            code = "ERROR_CONTACT_EXISTS" if error.title == "Member Exists" else "ERROR_GENERIC"
            errors.append({"email_address": email, "error": error.detail, "error_code": code, "field": "",
                           "field_message": ""})
    return 200, {"new_members": created, "updated_members": updated, "errors": errors,
                 "total_created": len(created), "total_updated": len(updated), "error_count": len(errors)}


# --- interest categories and interests ---------------------------------------------------------------

def _render_category(category: Dict[str, Any]) -> Dict[str, Any]:
    return public(category, ("interests",))


def _render_interest(lst: Dict[str, Any], interest: Dict[str, Any]) -> Dict[str, Any]:
    result = copy.deepcopy(interest)
    result["subscriber_count"] = str(sum(1 for m in lst["members"].values() if m["interests"].get(interest["id"])))
    return result


def all_categories(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    items = [_render_category(c) for c in lst["interest_categories"].values()]
    return 200, collection("categories", items, ctx.query, list_id=list_id)


def create_category(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    body = ctx.json_body()
    require_fields(body, ("title", "type"))
    if body["type"] not in ("checkboxes", "dropdown", "radio", "hidden"):
        raise invalid_resource(errors=[{"field": "type", "message": "Value is not one of the enum values"}])
    category = {"list_id": list_id, "id": new_id(), "title": body["title"], "type": body["type"],
                "display_order": body.get("display_order", len(lst["interest_categories"])), "interests": {}}
    lst["interest_categories"][category["id"]] = category
    return 200, _render_category(category)


def get_category(emu: Any, ctx: Any, list_id: str, cat_id: str) -> Tuple[int, Any]:
    return 200, _render_category(_get(get_list(emu, list_id)["interest_categories"], cat_id))


def patch_category(emu: Any, ctx: Any, list_id: str, cat_id: str) -> Tuple[int, Any]:
    category = _get(get_list(emu, list_id)["interest_categories"], cat_id)
    body = ctx.json_body()
    category.update({k: body[k] for k in ("title", "type", "display_order") if k in body})
    return 200, _render_category(category)


def delete_category(emu: Any, ctx: Any, list_id: str, cat_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    _get(lst["interest_categories"], cat_id)
    del lst["interest_categories"][cat_id]
    return 204, None


def all_interests(emu: Any, ctx: Any, list_id: str, cat_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    category = _get(lst["interest_categories"], cat_id)
    items = [_render_interest(lst, i) for i in category["interests"].values()]
    return 200, collection("interests", items, ctx.query, list_id=list_id, category_id=cat_id)


def create_interest(emu: Any, ctx: Any, list_id: str, cat_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    category = _get(lst["interest_categories"], cat_id)
    body = ctx.json_body()
    require_fields(body, ("name",))
    if any(i["name"] == body["name"] for i in category["interests"].values()):
        raise invalid_resource(f"Cannot add \"{body['name']}\" because it already exists on the list.")
    interest = {"category_id": cat_id, "list_id": list_id, "id": new_id(), "name": body["name"],
                "subscriber_count": "0", "display_order": body.get("display_order", len(category["interests"]) + 1)}
    category["interests"][interest["id"]] = interest
    return 200, _render_interest(lst, interest)


def get_interest(emu: Any, ctx: Any, list_id: str, cat_id: str, interest_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    return 200, _render_interest(lst, _get(_get(lst["interest_categories"], cat_id)["interests"], interest_id))


def patch_interest(emu: Any, ctx: Any, list_id: str, cat_id: str, interest_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    interest = _get(_get(lst["interest_categories"], cat_id)["interests"], interest_id)
    body = ctx.json_body()
    interest.update({k: body[k] for k in ("name", "display_order") if k in body})
    return 200, _render_interest(lst, interest)


def delete_interest(emu: Any, ctx: Any, list_id: str, cat_id: str, interest_id: str) -> Tuple[int, Any]:
    interests = _get(get_list(emu, list_id)["interest_categories"], cat_id)["interests"]
    _get(interests, interest_id)
    del interests[interest_id]
    return 204, None


# --- merge fields ------------------------------------------------------------------------------------

def _merge_field_by_id(lst: Dict[str, Any], merge_id: str) -> Dict[str, Any]:
    for field in lst["merge_fields"].values():
        if str(field["merge_id"]) == merge_id:
            return field
    raise not_found()


def all_merge_fields(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    items = copy.deepcopy(list(lst["merge_fields"].values()))
    if ctx.query.get("type"):
        items = [f for f in items if f["type"] == ctx.query["type"]]
    if "required" in ctx.query:
        items = [f for f in items if f["required"] == as_bool(ctx.query["required"])]
    return 200, collection("merge_fields", items, ctx.query, list_id=list_id)


def post_merge_field(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    return 200, copy.deepcopy(create_merge_field(get_list(emu, list_id), ctx.json_body()))


def get_merge_field(emu: Any, ctx: Any, list_id: str, merge_id: str) -> Tuple[int, Any]:
    return 200, copy.deepcopy(_merge_field_by_id(get_list(emu, list_id), merge_id))


def patch_merge_field(emu: Any, ctx: Any, list_id: str, merge_id: str) -> Tuple[int, Any]:
    field = _merge_field_by_id(get_list(emu, list_id), merge_id)
    body = ctx.json_body()
    for key in ("name", "required", "default_value", "public", "display_order", "options", "help_text"):
        if key in body:
            field[key] = as_bool(body[key]) if key in ("required", "public") else body[key]
    return 200, copy.deepcopy(field)


def delete_merge_field(emu: Any, ctx: Any, list_id: str, merge_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    del lst["merge_fields"][_merge_field_by_id(lst, merge_id)["tag"]]
    return 204, None


# --- list webhooks -----------------------------------------------------------------------------------

def _flags(given: Any, names: Tuple[str, ...]) -> Dict[str, bool]:
    # Guess: an omitted object means "all on" (the UI default); a given object turns the rest off.
    if not isinstance(given, dict):
        return {name: True for name in names}
    return {name: as_bool(given.get(name, False)) for name in names}


def all_webhooks(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    return 200, collection("webhooks", copy.deepcopy(list(lst["webhooks"].values())), ctx.query, list_id=list_id)


def create_webhook(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    body = ctx.json_body()
    require_fields(body, ("url",))
    webhooks.ensure_valid_url(emu, ctx, body["url"])
    hook = {"id": new_id(), "url": body["url"], "events": _flags(body.get("events"), WEBHOOK_EVENTS),
            "sources": _flags(body.get("sources"), WEBHOOK_SOURCES), "list_id": list_id}
    lst["webhooks"][hook["id"]] = hook
    return 200, copy.deepcopy(hook)


def get_webhook(emu: Any, ctx: Any, list_id: str, hook_id: str) -> Tuple[int, Any]:
    return 200, copy.deepcopy(_get(get_list(emu, list_id)["webhooks"], hook_id))


def patch_webhook(emu: Any, ctx: Any, list_id: str, hook_id: str) -> Tuple[int, Any]:
    hook = _get(get_list(emu, list_id)["webhooks"], hook_id)
    body = ctx.json_body()
    if "url" in body:
        hook["url"] = body["url"]
    for key, names in (("events", WEBHOOK_EVENTS), ("sources", WEBHOOK_SOURCES)):
        if isinstance(body.get(key), dict):
            hook[key].update({n: as_bool(v) for n, v in body[key].items() if n in names})
    return 200, copy.deepcopy(hook)


def delete_webhook(emu: Any, ctx: Any, list_id: str, hook_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    _get(lst["webhooks"], hook_id)
    del lst["webhooks"][hook_id]
    return 204, None


ROUTES = [
    ("GET", "lists", all_lists), ("POST", "lists", create_list),
    ("GET", "lists/{list_id}", get_one_list), ("PATCH", "lists/{list_id}", patch_list),
    ("DELETE", "lists/{list_id}", delete_list), ("POST", "lists/{list_id}", batch_subscribe),
    ("GET", "lists/{list_id}/interest-categories", all_categories),
    ("POST", "lists/{list_id}/interest-categories", create_category),
    ("GET", "lists/{list_id}/interest-categories/{cat_id}", get_category),
    ("PATCH", "lists/{list_id}/interest-categories/{cat_id}", patch_category),
    ("DELETE", "lists/{list_id}/interest-categories/{cat_id}", delete_category),
    ("GET", "lists/{list_id}/interest-categories/{cat_id}/interests", all_interests),
    ("POST", "lists/{list_id}/interest-categories/{cat_id}/interests", create_interest),
    ("GET", "lists/{list_id}/interest-categories/{cat_id}/interests/{interest_id}", get_interest),
    ("PATCH", "lists/{list_id}/interest-categories/{cat_id}/interests/{interest_id}", patch_interest),
    ("DELETE", "lists/{list_id}/interest-categories/{cat_id}/interests/{interest_id}", delete_interest),
    ("GET", "lists/{list_id}/merge-fields", all_merge_fields),
    ("POST", "lists/{list_id}/merge-fields", post_merge_field),
    ("GET", "lists/{list_id}/merge-fields/{merge_id}", get_merge_field),
    ("PATCH", "lists/{list_id}/merge-fields/{merge_id}", patch_merge_field),
    ("DELETE", "lists/{list_id}/merge-fields/{merge_id}", delete_merge_field),
    ("GET", "lists/{list_id}/webhooks", all_webhooks),
    ("POST", "lists/{list_id}/webhooks", create_webhook, True),
    ("GET", "lists/{list_id}/webhooks/{hook_id}", get_webhook),
    ("PATCH", "lists/{list_id}/webhooks/{hook_id}", patch_webhook),
    ("DELETE", "lists/{list_id}/webhooks/{hook_id}", delete_webhook),
]
