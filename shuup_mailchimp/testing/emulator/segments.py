"""Static segments, which are also the list's tags (as on the real API).

A member's ``tags`` entries carry the segment id; a static segment's members are the members
carrying its tag, so ``member_count`` is always derived, never stored. Saved (condition) segments
are stored but not evaluated: their ``member_count`` is 0.
"""
import copy
from typing import Any, Dict, Tuple

from .http import ApiError, collection, invalid_resource, not_found, now_iso, require_fields, subscriber_hash
from .members import get_list, render_member, set_tags


def _get(collection_: Dict[str, Any], key: str) -> Dict[str, Any]:
    if key not in collection_:
        raise not_found()
    return collection_[key]

def find_or_create_tag(emu: Any, lst: Dict[str, Any], name: str) -> Dict[str, Any]:
    """The static segment named ``name``, created if new."""
    for segment in lst["segments"].values():
        if segment["type"] == "static" and segment["name"] == name:
            return segment
    return _create_segment(emu, lst, name, "static", {})


def _create_segment(emu: Any, lst: Dict[str, Any], name: str, seg_type: str, options: Dict[str, Any]) -> Dict[str, Any]:
    now = now_iso()
    segment = {"id": emu.next_int(), "name": name, "member_count": 0, "type": seg_type, "created_at": now,
               "updated_at": now, "options": options, "list_id": lst["id"]}
    lst["segments"][str(segment["id"])] = segment
    return segment


def _render_segment(lst: Dict[str, Any], segment: Dict[str, Any]) -> Dict[str, Any]:
    result = copy.deepcopy(segment)
    result["member_count"] = len(_segment_members(lst, segment))
    return result


def _segment_members(lst: Dict[str, Any], segment: Dict[str, Any]) -> list:
    return [m for m in lst["members"].values() if any(t["id"] == segment["id"] for t in m["tags"])]



def _tag_emails(emu: Any, lst: Dict[str, Any], segment: Dict[str, Any], emails: Any, active: bool) -> list:
    """Add/remove the segment tag for the listed emails that are on the list (others are ignored)."""
    done = []
    for email in emails or []:
        member = lst["members"].get(subscriber_hash(str(email)))
        if member is None:
            continue
        set_tags(emu, lst, member, [{"name": segment["name"], "status": "active" if active else "inactive"}])
        done.append(render_member(emu, lst, member))
    return done


def all_segments(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    items = [_render_segment(lst, s) for s in lst["segments"].values()]
    if ctx.query.get("type"):
        items = [s for s in items if s["type"] == ctx.query["type"]]
    return 200, collection("segments", items, ctx.query, list_id=list_id)


def create_segment(emu: Any, ctx: Any, list_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    body = ctx.json_body()
    require_fields(body, ("name",))
    if "static_segment" in body:
        if any(s["name"] == body["name"] and s["type"] == "static" for s in lst["segments"].values()):
            raise invalid_resource(f"Sorry, a tag with the name \"{body['name']}\" already exists.")
        segment = _create_segment(emu, lst, body["name"], "static", {})
        _tag_emails(emu, lst, segment, body["static_segment"], True)
    else:
        segment = _create_segment(emu, lst, body["name"], "saved", body.get("options") or {})
    return 200, _render_segment(lst, segment)


def get_segment(emu: Any, ctx: Any, list_id: str, seg_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    return 200, _render_segment(lst, _get(lst["segments"], seg_id))


def patch_segment(emu: Any, ctx: Any, list_id: str, seg_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    segment = _get(lst["segments"], seg_id)
    body = ctx.json_body()
    if "name" in body and body["name"] != segment["name"]:
        for member in _segment_members(lst, segment):
            for tag in member["tags"]:
                if tag["id"] == segment["id"]:
                    tag["name"] = body["name"]
        segment["name"] = body["name"]
    if "static_segment" in body and segment["type"] == "static":
        wanted = {subscriber_hash(str(e)) for e in body["static_segment"]}
        _tag_emails(emu, lst, segment, [m["email_address"] for m in _segment_members(lst, segment)
                                        if m["id"] not in wanted], False)
        _tag_emails(emu, lst, segment, body["static_segment"], True)
    if "options" in body:
        segment["options"] = body["options"]
    segment["updated_at"] = now_iso()
    return 200, _render_segment(lst, segment)


MAX_BATCH_MEMBERS = 500


def update_segment_members(emu: Any, ctx: Any, list_id: str, seg_id: str) -> Tuple[int, Any]:
    """Up to 500 ``members_to_add`` and 500 ``members_to_remove``; addresses that are not on the list
    come back in ``errors`` ([{email_addresses, error}]), the rest is applied."""
    lst = get_list(emu, list_id)
    segment = _get(lst["segments"], seg_id)
    body = ctx.json_body()
    for name in ("members_to_add", "members_to_remove"):
        if len(body.get(name) or []) > MAX_BATCH_MEMBERS:
            raise invalid_resource(errors=[{"field": name, "message": "Array must contain at most 500 items."}])
    added = _tag_emails(emu, lst, segment, body.get("members_to_add"), True)
    removed = _tag_emails(emu, lst, segment, body.get("members_to_remove"), False)
    errors = []
    for name, done in (("members_to_add", added), ("members_to_remove", removed)):
        done_ids = {m["id"] for m in done}
        missing = [str(e) for e in body.get(name) or [] if subscriber_hash(str(e)) not in done_ids]
        if missing:
            errors.append({"email_addresses": missing, "error": "Email addresses are not subscribed to the list"
                           if name == "members_to_add" else "Email addresses are not in the segment"})
    return 200, {"members_added": added, "members_removed": removed, "errors": errors, "total_added": len(added),
                 "total_removed": len(removed), "error_count": sum(len(e["email_addresses"]) for e in errors)}


def delete_segment(emu: Any, ctx: Any, list_id: str, seg_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    segment = _get(lst["segments"], seg_id)
    for member in lst["members"].values():
        member["tags"] = [t for t in member["tags"] if t["id"] != segment["id"]]
    del lst["segments"][seg_id]
    return 204, None


def segment_members(emu: Any, ctx: Any, list_id: str, seg_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    members = [render_member(emu, lst, m) for m in _segment_members(lst, _get(lst["segments"], seg_id))]
    return 200, collection("members", members, ctx.query)


def add_segment_member(emu: Any, ctx: Any, list_id: str, seg_id: str) -> Tuple[int, Any]:
    lst = get_list(emu, list_id)
    segment = _get(lst["segments"], seg_id)
    email = ctx.json_body().get("email_address", "")
    added = _tag_emails(emu, lst, segment, [email], True)
    if not added:
        raise ApiError(400, "Invalid Resource", f"{email} is not a member of this list.")
    return 200, added[0]


ROUTES = [
    ("GET", "lists/{list_id}/segments", all_segments), ("POST", "lists/{list_id}/segments", create_segment),
    ("GET", "lists/{list_id}/segments/{seg_id}", get_segment),
    ("PATCH", "lists/{list_id}/segments/{seg_id}", patch_segment),
    ("POST", "lists/{list_id}/segments/{seg_id}", update_segment_members),
    ("DELETE", "lists/{list_id}/segments/{seg_id}", delete_segment),
    ("GET", "lists/{list_id}/segments/{seg_id}/members", segment_members),
    ("POST", "lists/{list_id}/segments/{seg_id}/members", add_segment_member),
]
