"""GDPR: an anonymized contact is erased from Mailchimp, and the sync state forgets them.

Shuup's anonymizer first overwrites and saves the contact (a random email and name) and only
then sends ``shuup.gdpr.signals.anonymization_requested``. So the address to delete is the one
the sync state remembers, recorded here when the signal arrives, and the contact's own item
(made pending by that save) is never sent: the contact handler skips every contact that has an
ERASURE item. The erasure permanently deletes the member (``delete-permanent``: Mailchimp then
refuses to re-add the address) and removes the eCommerce customers, then clears the personal
data from both items.
"""
from shuup_mailchimp.client import ecommerce, members
from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.exceptions import MailchimpNotFoundError
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.outbox import Outcome


def request_erasure(shop_id: int, contact_id: int) -> list:
    """Record the erasure of a contact anonymized in Shuup (from the GDPR signal). Returns the keys."""
    contact_item = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=SyncKind.CONTACT, object_id=contact_id).first()
    state = dict(contact_item.state or {}) if contact_item else {}
    if not state.get("email"):
        return []  # never sent to Mailchimp: nothing to erase there
    changes = int(state.get("email_changes", 0))
    customer_ids = [str(contact_id)] + ["%s-e%d" % (contact_id, n) for n in range(1, changes + 1)]
    return outbox.record_with_state(shop_id, SyncKind.ERASURE, contact_id,
                                    {"email": state["email"], "customer_ids": customer_ids})


def sync_erasure(client, shop_settings, item) -> Outcome:
    state = dict(item.state or {})
    if state.get("done"):
        return Outcome(skipped=True, note="erased")
    with client.about(object_kind="contact", object_id=item.object_id):
        if state.get("email"):
            try:
                members.delete_permanent(client, shop_settings.audience_id, state["email"])
            except MailchimpNotFoundError:
                pass  # not (or no longer) on the audience
        for customer_id in state.get("customer_ids", []):
            try:
                ecommerce.delete_customer(client, shop_settings.store_id, customer_id)
            except MailchimpNotFoundError:
                pass
    outbox.forget_personal_data(shop_settings.shop_id, SyncKind.CONTACT, item.object_id)
    return Outcome(note="member deleted permanently, customers removed", state={"done": True})
