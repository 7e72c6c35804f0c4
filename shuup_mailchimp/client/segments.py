"""Tags of an audience: static segments (``/lists/{id}/segments``). Contact groups become tags."""
from typing import Iterable, List, Optional

from shuup_mailchimp.client.base import MailchimpClient

#: Mailchimp takes at most 500 addresses in each of ``members_to_add`` and ``members_to_remove``.
MAX_MEMBERS_PER_CALL = 500
PAGE = 1000


def segments_path(audience_id: str, *rest: str) -> str:
    return "/".join(("lists", audience_id, "segments") + tuple(str(r) for r in rest))


def list_tags(client: MailchimpClient, audience_id: str) -> List[dict]:
    """Every static segment (tag) of the audience, ``[{id, name, member_count}]``, paged."""
    tags, offset = [], 0
    while True:
        data = client.get("segments.all", segments_path(audience_id), type="static", count=PAGE, offset=offset,
                          fields="segments.id,segments.name,segments.member_count,total_items")
        page = data.get("segments", [])
        tags += page
        offset += len(page)
        if not page or offset >= int(data.get("total_items") or 0):
            return tags


def get_tag(client: MailchimpClient, audience_id: str, segment_id: str) -> dict:
    return client.get("segments.get", segments_path(audience_id, segment_id), fields="id,name,member_count,type")


def create_tag(client: MailchimpClient, audience_id: str, name: str) -> dict:
    """An empty tag; members are added with :func:`update_members` (the same 500 limit applies)."""
    return client.post("segments.create", segments_path(audience_id), {"name": name, "static_segment": []})


def rename_tag(client: MailchimpClient, audience_id: str, segment_id: str, name: str) -> dict:
    return client.patch("segments.update", segments_path(audience_id, segment_id), {"name": name})


def delete_tag(client: MailchimpClient, audience_id: str, segment_id: str) -> None:
    client.delete("segments.delete", segments_path(audience_id, segment_id))


def update_members(client: MailchimpClient, audience_id: str, segment_id: str, add: Iterable[str] = (),
                   remove: Iterable[str] = ()) -> dict:
    """Add and remove up to :data:`MAX_MEMBERS_PER_CALL` addresses each. Mailchimp answers with
    ``members_added``, ``members_removed`` and ``errors`` (``[{email_addresses, error}]``)."""
    add, remove = list(add), list(remove)
    if len(add) > MAX_MEMBERS_PER_CALL or len(remove) > MAX_MEMBERS_PER_CALL:
        raise ValueError("At most %d addresses to add and to remove per call." % MAX_MEMBERS_PER_CALL)
    body = {"members_to_add": add, "members_to_remove": remove}
    return client.post("segments.update_members", segments_path(audience_id, segment_id), body) or {}


def member_addresses(client: MailchimpClient, audience_id: str, segment_id: str,
                     page_size: Optional[int] = None) -> List[str]:
    """The addresses in a tag (read when adopting a tag made before: its members become known)."""
    addresses, offset, size = [], 0, page_size or PAGE
    while True:
        data = client.get("segments.members.all", segments_path(audience_id, segment_id, "members"), count=size,
                          offset=offset, fields="members.email_address,total_items")
        page = data.get("members", [])
        addresses += [m["email_address"] for m in page if m.get("email_address")]
        offset += len(page)
        if not page or offset >= int(data.get("total_items") or 0):
            return addresses
