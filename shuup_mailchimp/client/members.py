"""Audience members, keyed by the md5 of the lowercased email (Mailchimp's subscriber hash)."""
import hashlib
from typing import Optional

from shuup_mailchimp.client.base import MailchimpClient


def subscriber_hash(email: str) -> str:
    # mailchimp3's get_subscriber_hash does not strip; Mailchimp itself trims, so we do.
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


def member_path(audience_id: str, email: str) -> str:
    return "lists/%s/members/%s" % (audience_id, subscriber_hash(email))


def get_member(client: MailchimpClient, audience_id: str, email: str) -> Optional[dict]:
    from shuup_mailchimp.exceptions import MailchimpNotFoundError

    try:
        return client.get("members.get", member_path(audience_id, email))
    except MailchimpNotFoundError:
        return None


def upsert_member(client: MailchimpClient, audience_id: str, email: str, body: dict) -> dict:
    """PUT by subscriber hash: creates with ``status_if_new``, updates ``status`` only if given."""
    return client.put("members.upsert", member_path(audience_id, email), body)


def update_member(client: MailchimpClient, audience_id: str, email: str, body: dict) -> dict:
    return client.patch("members.update", member_path(audience_id, email), body)


def delete_permanent(client: MailchimpClient, audience_id: str, email: str) -> None:
    """GDPR erasure: Mailchimp deletes the member and refuses to re-import the address."""
    client.post("members.delete_permanent", member_path(audience_id, email) + "/actions/delete-permanent")


def list_members(client: MailchimpClient, audience_id: str, offset: int, count: int,
                 fields: str = "members.email_address,members.status,members.merge_fields,members.interests,"
                               "total_items") -> dict:
    return client.get("members.all", "lists/%s/members" % audience_id, offset=offset, count=count, fields=fields)


def marketing_permissions(client: MailchimpClient, audience_id: str) -> list:
    """The audience's GDPR marketing permissions, ``[{marketing_permission_id, text}]``, read from one
    member as mc-woocommerce does (Mailchimp has no endpoint for the list's own); [] without GDPR
    fields or members."""
    data = client.get("members.marketing_permissions", "lists/%s/members" % audience_id, count=1,
                      fields="members.marketing_permissions")
    found = []
    for member in data.get("members") or []:
        for perm in member.get("marketing_permissions") or []:
            if perm.get("marketing_permission_id"):
                found.append({"marketing_permission_id": perm["marketing_permission_id"], "text": perm.get("text", "")})
    return found
