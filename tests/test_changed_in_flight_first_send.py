"""Defect found by bench/reliability/many_workers.py, fixed in ``sync/outbox.py``: ``mark_synced``'s
release path dates ``synced_on`` from the claim, and ``claim_related`` no longer bumps an existing item.

An object's *first* send whose item is bumped while in flight is sent twice with the same body.
``mark_synced`` sees the version changed and releases the item with the fingerprint it learnt but
without ``synced_on``; every handler skips only when ``digest == item.fingerprint and
item.synced_on``, so the next pass sends the identical member and customer (or product) again.
In many_workers the bump came from ``outbox.claim_related`` (an order bringing its customer or
product up to date calls ``record()``, which bumps the version even though nothing changed) while
another drain was sending that contact or product: member + customer PUT twice, product PUT twice.
Harmless for upserts, but work done twice at every first sync of a busy shop. Likely fix: the
release path of ``mark_synced`` also sets ``synced_on`` when the outcome was a send (the data did
reach Mailchimp), or ``claim_related`` records only a missing item instead of bumping it.
"""
import pytest
from shuup.core.models import PersonContact

from shuup_mailchimp.client.base import MailchimpClient
from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.processing import process_due


def on_first_write(monkeypatch, action):
    """Run ``action`` while the first API write is in flight; returns the list of writes made."""
    real, writes = MailchimpClient.request, []

    def request(self, operation, method, path, *args, **kwargs):
        if method != "GET":
            writes.append((method, path))
            if len(writes) == 1:
                action()
        return real(self, operation, method, path, *args, **kwargs)

    monkeypatch.setattr(MailchimpClient, "request", request)
    return writes



@pytest.mark.django_db
def test_a_first_send_bumped_in_flight_is_not_sent_twice(initialized, settings, monkeypatch):
    settings.SHUUP_MAILCHIMP_DISPATCH = "background"  # saves only record; the test runs the drains
    monkeypatch.setattr("shuup_mailchimp.runner.wake", lambda: None)
    contact = PersonContact.objects.create(first_name="In", last_name="Flight", email="inflight@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    # another drain's order brings this contact up to date meanwhile
    writes = on_first_write(monkeypatch, lambda: outbox.record([initialized.shop.pk], SyncKind.CONTACT, contact.pk))
    process_due()  # sends it; the item changed in flight, so it goes round again
    process_due()  # nothing changed: must be skipped as unchanged
    assert len(writes) == 2, writes  # one member PUT, one customer PUT


@pytest.mark.django_db
def test_bringing_a_related_item_up_to_date_does_not_bump_it(initialized):
    contact = PersonContact.objects.create(first_name="Re", last_name="Lated", email="related@mailbox.org")
    contact.add_to_shop(initialized.shop)
    item = outbox.claim_related(initialized.shop.pk, SyncKind.CONTACT, contact.pk)  # one worker sends it
    assert item is not None
    version = item.version
    assert outbox.claim_related(initialized.shop.pk, SyncKind.CONTACT, contact.pk) is None  # another owner
    item.refresh_from_db()
    assert item.version == version  # the owner's send is not made stale by an unchanged related object


@pytest.mark.django_db
def test_a_sign_up_made_while_the_item_is_in_flight_is_still_applied(initialized, emulator, settings, monkeypatch):
    """The release path dates synced_on from the claim: a sign-up newer than that is not taken as sent."""
    from shuup_mailchimp.sync.signup import sign_up

    from .conftest import member_of

    settings.SHUUP_MAILCHIMP_DISPATCH = "background"
    monkeypatch.setattr("shuup_mailchimp.runner.wake", lambda: None)
    initialized.double_opt_in = True
    initialized.save()
    contact = PersonContact.objects.create(first_name="Late", last_name="Signup", email="late.signup@mailbox.org",
                                           marketing_permission=False)
    contact.add_to_shop(initialized.shop)
    # the person ticks the newsletter box while their contact is being sent
    on_first_write(monkeypatch, lambda: sign_up(initialized.shop, contact.email, "Yes, send me news", "footer",
                                                contact=contact))
    process_due()  # sent without permission; the sign-up arrived in flight
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] != "pending"
    process_due()  # the sign-up is applied: double opt-in, so a confirmation email (pending)
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"
