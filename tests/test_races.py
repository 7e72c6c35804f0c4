"""Two workers, real concurrent database connections (threads; on PostgreSQL under `make test`).

These are the races of the core-correctness review: a second worker taking an item the first
still sends (a stale ``subscribed`` landing after a withdrawal), one item sent twice, and two
eCommerce stores for one shop.
"""
import threading

import pytest
from django.db import close_old_connections, connection
from shuup.core.models import PersonContact

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpLogEntry, MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.processing import process_due

from .conftest import member_of


def in_thread(name, target, *args):
    """Run ``target`` in a thread with its own database connection; returns (thread, errors)."""
    errors = []

    def run():
        try:
            target(*args)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread, errors


@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_made_while_a_subscribe_is_in_flight_wins(initialized, emulator, monkeypatch):
    from shuup_mailchimp.sync import contacts

    contact = PersonContact.objects.create(first_name="Race", last_name="One", email="race.one@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    contact.marketing_permission = False
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "unsubscribed"

    in_put, release = threading.Event(), threading.Event()
    real_put = contacts.members.upsert_member

    def slow_put(client, audience_id, email, body):
        if threading.current_thread().name == "worker-a":
            in_put.set()
            assert release.wait(20)
        return real_put(client, audience_id, email, body)

    monkeypatch.setattr(contacts.members, "upsert_member", slow_put)
    # Permission given again: worker A picks it up and is about to send "subscribed" ...
    PersonContact.objects.filter(pk=contact.pk).update(marketing_permission=True)
    outbox.record([initialized.shop_id], SyncKind.CONTACT, contact.pk)
    worker_a, errors = in_thread("worker-a", process_due)
    assert in_put.wait(20)
    # ... when the person withdraws it again. This save's after-commit processing is worker B.
    contact.marketing_permission = False
    contact.save()
    row = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk)
    assert row.status == SyncStatus.PROCESSING  # still worker A's: B did not take it
    release.set()
    worker_a.join(20)
    assert not errors
    process_due()  # the newer change goes round again
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "unsubscribed"
    row = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk)
    assert row.status == SyncStatus.SYNCED and row.state["permission"] is False


@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_one_outbox_send_each_item_once(initialized, emulator):
    contacts = []
    for n in range(24):
        contact = PersonContact.objects.create(first_name="P%d" % n, last_name="Q", email="p%d@mailbox.org" % n,
                                               marketing_permission=True)
        contacts.append(contact)
    ids = [c.pk for c in contacts]
    # Record without the receivers (which would send at once): the shop's existing contacts.
    for contact_id in ids:
        outbox.record([initialized.shop_id], SyncKind.CONTACT, contact_id)
    start = threading.Barrier(2)

    def worker():
        close_old_connections()
        start.wait(10)
        process_due(log=False)

    threads = [in_thread("worker-%d" % n, worker) for n in range(2)]
    for thread, _errors in threads:
        thread.join(60)
    assert not [e for _t, errors in threads for e in errors]
    puts = MailchimpLogEntry.objects.filter(operation="members.upsert", object_id__in=ids)
    per_contact = {}
    for object_id in puts.values_list("object_id", flat=True):
        per_contact[object_id] = per_contact.get(object_id, 0) + 1
    assert per_contact == {contact_id: 1 for contact_id in ids}
    assert set(MailchimpSyncItem.objects.filter(object_id__in=ids).values_list("status", flat=True)) == {
        SyncStatus.SYNCED}


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_first_enable_create_one_store(shop_settings, emulator, monkeypatch):
    from shuup_mailchimp.client import ecommerce
    from shuup_mailchimp.sync.store import initialize_store

    both_looked = threading.Barrier(2)
    real_get = ecommerce.get_store
    first_look = set()

    def get_store(client, store_id):
        found = real_get(client, store_id)
        name = threading.current_thread().name
        if name.startswith("init-") and name not in first_look:
            first_look.add(name)
            both_looked.wait(10)  # both saw "no store yet" before either creates it
        return found

    monkeypatch.setattr(ecommerce, "get_store", get_store)
    threads = [
        in_thread("init-%d" % n, lambda: initialize_store(MailchimpShopSettings.objects.get(pk=shop_settings.pk)))
        for n in range(2)
    ]
    for thread, _errors in threads:
        thread.join(60)
    assert not [e for _t, errors in threads for e in errors]
    assert len(emulator.snapshot()["stores"]) == 1
    shop_settings.refresh_from_db()
    assert shop_settings.store_id in emulator.snapshot()["stores"]
