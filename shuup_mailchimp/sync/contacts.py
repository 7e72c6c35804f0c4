"""Contact -> audience member (consent, merge fields, interests) and eCommerce customer.

Consent follows ``Contact.marketing_permission``, with two promises:
- a member who unsubscribed (or was cleaned) in Mailchimp is never re-subscribed by us;
  only when the contact gives permission *again* in Shuup do we ask Mailchimp for
  ``pending`` (Mailchimp then mails a re-confirmation);
- a contact without permission is never unsubscribed unless they had given it before
  (a sign-up made through a Mailchimp form is not ours to undo).
"""
from shuup.core.models import Contact

from shuup_mailchimp.client import ecommerce, members
from shuup_mailchimp.exceptions import MailchimpComplianceError
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync.interests import interest_map
from shuup_mailchimp.sync.outbox import Outcome
from shuup_mailchimp.sync.payloads import (
    MEMBER_PENDING,
    MEMBER_SUBSCRIBED,
    MEMBER_TRANSACTIONAL,
    MEMBER_UNSUBSCRIBED,
    OPTED_OUT_STATUSES,
    customer_payload,
    fingerprint,
    member_payload,
)


def decide_status(permission: bool, previous_permission, remote_status):
    """(status, status_if_new, note) for the member PUT."""
    if permission:
        if remote_status in OPTED_OUT_STATUSES:
            if previous_permission is False:
                return MEMBER_PENDING, MEMBER_SUBSCRIBED, "permission given again: re-confirmation requested"
            return None, MEMBER_SUBSCRIBED, "%s in Mailchimp: not re-subscribed" % remote_status
        return MEMBER_SUBSCRIBED, MEMBER_SUBSCRIBED, ""
    if previous_permission and remote_status not in OPTED_OUT_STATUSES:
        return MEMBER_UNSUBSCRIBED, MEMBER_TRANSACTIONAL, "permission withdrawn: unsubscribed"
    return None, MEMBER_TRANSACTIONAL, ""


def customer_id_for(contact_id, state) -> str:
    return state.get("customer_id") or str(contact_id)


def sync_contact(client, shop_settings, item: MailchimpSyncItem) -> Outcome:
    contact = Contact.objects.filter(pk=item.object_id).first()
    if contact is None:
        return Outcome(skipped=True, note="contact deleted in Shuup; nothing sent")
    email = (contact.email or "").strip()
    if not email:
        return Outcome(skipped=True, note="contact has no email address")
    state = dict(item.state or {})
    permission = bool(contact.marketing_permission)
    previous_permission = state.get("permission")
    remote_status = state.get("member_status")
    if not permission and not shop_settings.send_transactional and not previous_permission:
        return Outcome(skipped=True, note="no marketing permission; transactional contacts are not sent")

    old_email = state.get("email")
    if old_email and old_email.lower() != email.lower():
        # Mailchimp never changes a customer's email: continue under a new customer id.
        state["customer_id"] = "%s-e%d" % (contact.pk, int(state.get("email_changes", 0)) + 1)
        state["email_changes"] = int(state.get("email_changes", 0)) + 1
    customer = customer_payload(contact, email=email)
    customer["id"] = customer_id_for(contact.pk, state)
    status, status_if_new, note = decide_status(permission, previous_permission, remote_status)
    interests = interest_map(client, shop_settings, contact)
    member = member_payload(contact, interests, status=status, status_if_new=status_if_new, email=email)
    digest = fingerprint(member, customer)
    if digest == item.fingerprint and item.synced_on:
        return Outcome(skipped=True, note="unchanged", fingerprint=digest)

    with client.about(object_kind="contact", object_id=contact.pk):
        if old_email and old_email.lower() != email.lower():
            _move_member(client, shop_settings.audience_id, old_email, email)
        try:
            result = members.upsert_member(client, shop_settings.audience_id, email, member)
            state["member_status"] = result.get("status", status or status_if_new)
        except MailchimpComplianceError as exc:
            if permission and previous_permission is False:
                member["status"] = MEMBER_PENDING
                result = members.upsert_member(client, shop_settings.audience_id, email, member)
                state["member_status"] = result.get("status", MEMBER_PENDING)
                note = "permission given again: re-confirmation requested"
            else:
                # Final for the subscription, but the profile and interests still follow Shuup.
                member.pop("status", None)
                note = "Mailchimp: %s (final; not re-subscribed)" % exc.title
                try:
                    result = members.upsert_member(client, shop_settings.audience_id, email, member)
                    state["member_status"] = result.get("status", MEMBER_UNSUBSCRIBED)
                except MailchimpComplianceError:  # e.g. permanently deleted: nothing more to do
                    state["member_status"] = MEMBER_UNSUBSCRIBED
        # Remember what the member now is before the next call: if that one fails, the retry must
        # decide from Mailchimp's real state (found by the fault-rate reliability run).
        state.update(permission=permission, email=email)
        MailchimpSyncItem.objects.filter(pk=item.pk).update(state=state)
        ecommerce.upsert_customer(client, shop_settings.store_id, customer)
    return Outcome(fingerprint=digest, remote_id=customer["id"], note=note)


def _move_member(client, audience_id, old_email, new_email):
    """Carry the subscription over to the new address (Mailchimp allows changing a member's email)."""
    from shuup_mailchimp.exceptions import MailchimpError

    try:
        members.update_member(client, audience_id, old_email, {"email_address": new_email})
    except MailchimpError:
        pass  # no old member, or the new address exists already: the upsert below handles it
