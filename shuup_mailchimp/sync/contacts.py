"""Contact -> audience member (consent, merge fields, interests) and eCommerce customer.

The member's ``status`` is decided by :mod:`shuup_mailchimp.sync.consent` alone. The item's
``state`` remembers what the decision needs next time:

- ``permission``: the marketing permission at the last sync;
- ``member_status``: the member's status in Mailchimp as last seen (every PUT answers with it);
- ``opted_out``: the person opted out in Mailchimp (self-unsubscribe, cleaned);
- ``email``, ``customer_id``, ``email_changes``: where the member and the customer live;
- ``forgotten``: the address was permanently deleted in Mailchimp; nothing is sent for it again.

The fingerprint covers the *wanted* state (permission, profile, interests, customer), not the
command: an unchanged save after a withdrawal sends nothing.
"""
from dataclasses import dataclass
from typing import Optional

from django.utils import timezone
from shuup.core.models import Contact

from shuup_mailchimp.client import ecommerce, members
from shuup_mailchimp.exceptions import (
    MailchimpComplianceError,
    MailchimpError,
    MailchimpNotFoundError,
    MailchimpPermanentError,
)
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import consent, outbox, signup
from shuup_mailchimp.sync.interests import interest_map, is_invalid_interest, repair_interests
from shuup_mailchimp.sync.outbox import Outcome
from shuup_mailchimp.sync.payloads import customer_payload, fingerprint, member_payload

FORGOTTEN = "Forgotten Email Not Subscribed"


def erasure_requested(shop_id, contact_id) -> bool:
    """Shuup anonymized the contact: nothing of theirs is sent any more (see sync/erasure.py)."""
    from shuup_mailchimp.enums import SyncKind

    return MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=SyncKind.ERASURE, object_id=contact_id).exists()


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
    last_permission = state.get("permission")
    if not permission and not shop_settings.send_transactional and not last_permission:
        return Outcome(skipped=True, note="no marketing permission; transactional contacts are not sent")
    old_email = state.get("email")
    moving = bool(old_email) and old_email.lower() != email.lower()
    if state.get("erased") or erasure_requested(shop_settings.shop_id, contact.pk):
        return Outcome(skipped=True, note="anonymized in Shuup (GDPR): erased from Mailchimp, never sent again")
    if state.get("forgotten") and not moving:
        return Outcome(skipped=True, note="permanently deleted in Mailchimp (%s); not sent again" % FORGOTTEN)
    if state.get("undeliverable") and not moving:
        return Outcome(skipped=True, note="address cleaned in Mailchimp (undeliverable); not sent again")
    if moving:
        # Mailchimp never changes a customer's email: continue under a new customer id.
        state["email_changes"] = int(state.get("email_changes", 0)) + 1
        state["customer_id"] = "%s-e%d" % (contact.pk, state["email_changes"])
    customer = customer_payload(contact, email=email)
    customer["id"] = customer_id_for(contact.pk, state)
    interests = interest_map(client, shop_settings, contact)
    member = member_payload(contact, interests, email=email)
    member.update(signup.gdpr_fields(shop_settings, permission))  # the shop's GDPR permission follows consent
    digest = fingerprint({"permission": permission, "member": member, "customer": customer})
    fresh_signup = signup.waiting_signup(shop_settings, item, permission)  # applied even when nothing else changed
    # The fingerprint says what we sent; a webhook since may have taught us Mailchimp holds another
    # consent (the person unsubscribed there): then the permission now is news (found by the fault soak).
    if digest == item.fingerprint and item.synced_on and not moving and fresh_signup is None \
            and last_permission == permission:
        return Outcome(skipped=True, note="unchanged", fingerprint=digest)

    if moving or (last_permission is not None and bool(last_permission) != permission):
        # Withdrawn: their waiting carts go too; given: their idle baskets become carts now, not only
        # after their next change; moved: their carts name the new customer, whose email is the one
        # the abandoned-cart email goes to (sync/carts.py). Looked at before the first call: a retry
        # after a failure half-way no longer sees the change (the state saved on the way has it).
        # All found by the fault soak.
        from shuup_mailchimp.sync.carts import touch_open_carts

        touch_open_carts(shop_settings.shop_id, contact.pk)
    with client.about(object_kind="contact", object_id=contact.pk):
        if moving:
            state = _move_member(client, shop_settings.audience_id, item, state, old_email, email)
        # A newsletter sign-up is fresh permission, and may ask for double opt-in (sync/signup.py).
        last_permission, remote_status, double_opt_in = signup.consent_inputs(
            client, shop_settings, fresh_signup, email, state, last_permission)
        decision = consent.decide(permission, last_permission, remote_status, bool(state.get("opted_out")),
                                  double_opt_in=double_opt_in)
        try:
            result, decision, refused = _put_member(
                client, shop_settings, contact, email, member, decision, permission, last_permission
            )
        except MailchimpComplianceError as exc:  # the address was permanently deleted in Mailchimp
            state.update(forgotten=True, member_status=None, opted_out=True, permission=permission, email=email)
            return Outcome(note="Mailchimp: %s (final; not sent again)" % exc.title, fingerprint=digest, state=state)
        if permission and result.get("status") in consent.OPTED_OUT and not decision.note:
            decision = consent.Decision(None, decision.status_if_new,
                                        "%s in Mailchimp: not re-subscribed" % result.get("status"))
        if decision.status:
            state.update(consent_source="shop", consent_changed_on=timezone.now().isoformat())
        state.update(
            member_status=result.get("status"),
            opted_out=refused or _opted_out(state, result.get("status"), decision.status),
            permission=permission,
            email=email,
            forgotten=False,
            undeliverable=result.get("status") == consent.CLEANED,
            merge_fields=member["merge_fields"],
        )
        # Remember what the member now is before the next call: if that one fails, the retry must
        # decide from Mailchimp's real state (found by the fault-rate reliability run).
        outbox.save_state(item, state)
        ecommerce.upsert_customer(client, shop_settings.store_id, customer)
    return Outcome(fingerprint=digest, remote_id=customer["id"], note=decision.note, state=state)


def _put_member(client, shop_settings, contact, email, member, decision, permission, last_permission):
    """PUT the member as decided; returns (answer, decision, refused). Mailchimp's compliance
    answer ("the person opted out here") is decided again with that knowledge."""
    try:
        return _put(client, shop_settings, contact, email, member, decision), decision, False
    except MailchimpComplianceError as exc:
        if exc.title == FORGOTTEN:
            raise
        again = consent.after_compliance_refusal(permission, last_permission)
        decision = consent.Decision(
            again.status, again.status_if_new, again.note or "Mailchimp: %s (final; not re-subscribed)" % exc.title
        )
    try:
        return _put(client, shop_settings, contact, email, member, decision), decision, True
    except MailchimpComplianceError as exc:
        if exc.title == FORGOTTEN:
            raise
        return {"status": consent.UNSUBSCRIBED}, decision, True


def _put(client, shop_settings, contact, email, member, decision):
    body = dict(member, status_if_new=decision.status_if_new)
    if decision.status:
        body["status"] = decision.status
    try:
        return members.upsert_member(client, shop_settings.audience_id, email, body)
    except MailchimpPermanentError as exc:
        if not is_invalid_interest(exc):
            raise
    # An interest was deleted in Mailchimp: recreate it, remap, and send once more.
    repair_interests(client, shop_settings)
    body["interests"] = interest_map(client, shop_settings, contact)
    return members.upsert_member(client, shop_settings.audience_id, email, body)


def _opted_out(state, remote_status, sent_status) -> bool:
    """Did the *person* opt out? Cleaned, or unsubscribed by someone other than us."""
    if remote_status == consent.CLEANED:
        return True
    if remote_status == consent.SUBSCRIBED:
        return False
    if remote_status == consent.UNSUBSCRIBED and sent_status != consent.UNSUBSCRIBED:
        if state.get("member_status") != consent.UNSUBSCRIBED:
            return True  # it was not unsubscribed when we last looked, and we did not do it
    return bool(state.get("opted_out"))


def _move_member(client, audience_id, item, state, old_email, new_email) -> dict:
    """Carry the member over to the new address, or at least never leave the old one subscribed.

    Transient errors propagate (the whole item is retried; nothing has changed yet). A member
    that already exists at the new address (or a new address Mailchimp refuses) leaves the old
    member to be unsubscribed: the consent and interests then go to the new address.
    """
    if state.get("undeliverable") or state.get("member_status") == consent.CLEANED:
        # The old address bounced: moved, the member would carry "cleaned" to an address that never
        # did, and nothing would be sent there again (found by the fault soak). It stays where it is.
        state.update(member_status=None, opted_out=False)
    else:
        try:
            members.update_member(client, audience_id, old_email, {"email_address": new_email})
        except MailchimpNotFoundError:  # no member at the old address: nothing to carry over
            state.update(member_status=None, opted_out=False)
        except MailchimpError as exc:
            if exc.is_transient:
                raise
            _retire(client, audience_id, old_email)
            state.update(member_status=None, opted_out=False)  # the new address's member is a stranger to us
    state["email"] = new_email
    state["forgotten"] = state["undeliverable"] = False
    outbox.save_state(item, state)
    return state


def _retire(client, audience_id, old_email):
    try:
        members.update_member(client, audience_id, old_email, {"status": consent.UNSUBSCRIBED})
    except (MailchimpNotFoundError, MailchimpComplianceError):
        pass  # gone, or already opted out


# What would be sent, decided without Mailchimp (the full sync's batches) --------------------------
# These mirror sync_contact's rules step by step, so a full sync and the incremental sync agree
# on what a contact needs and on its fingerprint (tests/test_full_sync.py checks that an
# incremental run right after a full sync sends nothing).

@dataclass
class ContactPlan:
    """What :func:`sync_contact` would do for one contact.

    ``skip``: why nothing is sent (a note), ``per_record``: why only the per-record path can
    do it (an email change needs a move of the member first); otherwise the member body (no
    status), the customer body, the consent decision and the fingerprint of the wanted state.
    """

    skip: str = ""
    per_record: str = ""
    permission: bool = False
    email: str = ""
    member: Optional[dict] = None
    customer: Optional[dict] = None
    decision: Optional[consent.Decision] = None
    fingerprint: str = ""


def plan_contact(contact, state: dict, interests: dict, send_transactional: bool, erased: bool = False) -> ContactPlan:
    """``contact``: a Contact or an object with its attributes (see ``payloads.contact_names``);
    ``state``: its item's state; ``interests``: the full interest map; ``erased``: an erasure of it
    was requested (:func:`erasure_requested`)."""
    email = (contact.email or "").strip()
    if not email:
        return ContactPlan(skip="contact has no email address")
    permission = bool(contact.marketing_permission)
    last_permission = state.get("permission")
    if not permission and not send_transactional and not last_permission:
        return ContactPlan(skip="no marketing permission; transactional contacts are not sent")
    old_email = state.get("email")
    if bool(old_email) and old_email.lower() != email.lower():
        return ContactPlan(per_record="email changed: the member moves to the new address first")
    if state.get("erased") or erased:
        return ContactPlan(skip="anonymized in Shuup (GDPR): erased from Mailchimp, never sent again")
    if state.get("forgotten"):
        return ContactPlan(skip="permanently deleted in Mailchimp (%s); not sent again" % FORGOTTEN)
    if state.get("undeliverable"):
        return ContactPlan(skip="address cleaned in Mailchimp (undeliverable); not sent again")
    customer = customer_payload(contact, email=email)
    customer["id"] = customer_id_for(contact.pk, state)
    member = member_payload(contact, interests, email=email)
    digest = fingerprint({"permission": permission, "member": member, "customer": customer})
    decision = consent.decide(permission, last_permission, state.get("member_status"), bool(state.get("opted_out")))
    return ContactPlan(permission=permission, email=email, member=member, customer=customer, decision=decision,
                       fingerprint=digest)


def member_put_body(member: dict, decision: consent.Decision) -> dict:
    """The member PUT as :func:`_put` sends it: ``status_if_new`` always, ``status`` only when decided."""
    body = dict(member, status_if_new=decision.status_if_new)
    if decision.status:
        body["status"] = decision.status
    return body


def state_after_member_write(state: dict, permission: bool, email: str, merge_fields: dict,
                             decision: consent.Decision, remote_status: Optional[str], now_iso: str):
    """(new state, note) after Mailchimp answered a member PUT with ``remote_status``, as
    :func:`sync_contact` records it (without a compliance refusal: those go per record)."""
    state = dict(state)
    if permission and remote_status in consent.OPTED_OUT and not decision.note:
        decision = consent.Decision(None, decision.status_if_new, "%s in Mailchimp: not re-subscribed" % remote_status)
    note = decision.note
    if decision.status:
        state.update(consent_source="shop", consent_changed_on=now_iso)
    state.update(
        member_status=remote_status,
        opted_out=_opted_out(state, remote_status, decision.status),
        permission=permission,
        email=email,
        forgotten=False,
        undeliverable=remote_status == consent.CLEANED,
        merge_fields=merge_fields,
    )
    return state, note
