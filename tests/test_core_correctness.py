"""Regression tests of the core-correctness review (issue 7), written from the dangerous side:
"what could make us subscribe someone who said no, send a stale write, or lose an item?".

Each test names the defect it guards; each failed on the code before the fix.
"""
import contextlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from shuup.core.models import PersonContact
from shuup.testing import factories

from shuup_mailchimp.enums import ErrorKind, SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpLogEntry, MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.processing import process_due

from .conftest import member_of


def person(shop, email="ann.lee@mailbox.org", permission=True, **kw):
    contact = PersonContact.objects.create(
        first_name=kw.pop("first_name", "Ann"), last_name="Lee", email=email, marketing_permission=permission, **kw
    )
    contact.add_to_shop(shop)
    return contact


def item(kind, object_id, shop_id=None):
    qs = MailchimpSyncItem.objects.filter(kind=kind, object_id=object_id)
    return (qs.filter(shop_id=shop_id) if shop_id else qs).get()


def status_of(emulator, settings, email):
    member = member_of(emulator, settings.audience_id, email)
    return member and member["status"]


@contextlib.contextmanager
def mailchimp_failing(emulator, monkeypatch, method, path_part="", status=503):
    """Make the emulator answer ``status`` to every ``method`` request whose path contains ``path_part``."""
    real = emulator.handle
    seen = []

    def handle(method_, path, query, headers, body):
        if method_.upper() == method and path_part in path:
            seen.append(path)
            return status, {"Content-Type": "application/problem+json"}, json.dumps(
                {"type": "about:blank", "title": "Service Unavailable", "status": status, "detail": "down",
                 "instance": ""}).encode()
        return real(method_, path, query, headers, body)

    monkeypatch.setattr(emulator, "handle", handle)
    try:
        yield seen
    finally:
        monkeypatch.setattr(emulator, "handle", real)


def flush():
    """An operator's `mailchimp_sync`: everything pending goes now, backoff or not."""
    return process_due(ignore_backoff=True)


# 1. pending never becomes subscribed without the person's confirmation -----------------------------

@pytest.mark.django_db
def test_pending_reconfirmation_is_not_turned_into_a_subscription_by_a_later_edit(initialized, emulator):
    contact = person(initialized.shop)
    emulator.unsubscribe_as_person(initialized.audience_id, contact.email)
    contact.marketing_permission = False
    contact.save()
    contact.marketing_permission = True
    contact.save()
    assert status_of(emulator, initialized, contact.email) == "pending"
    contact.first_name = "Annie"  # an ordinary edit; the real API would accept pending -> subscribed
    contact.save()
    member = member_of(emulator, initialized.audience_id, contact.email)
    assert member["status"] == "pending" and member["merge_fields"]["FNAME"] == "Annie"


@pytest.mark.django_db
def test_an_edit_never_resubscribes_a_member_the_shop_unsubscribed(initialized, emulator):
    contact = person(initialized.shop)
    contact.marketing_permission = False
    contact.save()
    assert status_of(emulator, initialized, contact.email) == "unsubscribed"
    # An API unsubscribe can be undone by the API (the emulator allows it like the real one):
    # an edit must not, and neither must an item whose fingerprint was lost.
    MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT).update(fingerprint="")
    contact.first_name = "Annie"
    contact.save()
    assert status_of(emulator, initialized, contact.email) == "unsubscribed"


@pytest.mark.django_db
def test_fresh_permission_after_a_shop_side_withdrawal_subscribes_again(initialized, emulator):
    contact = person(initialized.shop)
    contact.marketing_permission = False
    contact.save()
    contact.marketing_permission = True
    contact.save()
    assert status_of(emulator, initialized, contact.email) == "subscribed"


@pytest.mark.django_db
def test_self_unsubscribe_learnt_from_the_answer_then_reconsent_asks_for_confirmation(initialized, emulator):
    contact = person(initialized.shop)
    emulator.unsubscribe_as_person(initialized.audience_id, contact.email)  # no webhook reaches the shop
    contact.first_name = "Annie"
    contact.save()  # the PUT's answer tells us: unsubscribed by someone else
    assert item(SyncKind.CONTACT, contact.pk).state["opted_out"] is True
    contact.marketing_permission = False
    contact.save()
    contact.marketing_permission = True
    contact.save()
    assert status_of(emulator, initialized, contact.email) == "pending"


# 2. one owner per item ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_change_recorded_while_processing_leaves_the_item_owned_and_sends_it_again(initialized, emulator):
    contact = person(initialized.shop)
    sync_item = item(SyncKind.CONTACT, contact.pk)
    outbox.record([initialized.shop_id], SyncKind.CONTACT, contact.pk)
    assert outbox.claim(sync_item)
    contact.first_name = "Newer"
    contact.save()  # the receiver's touch_all while a worker holds the item
    row = item(SyncKind.CONTACT, contact.pk)
    assert row.status == SyncStatus.PROCESSING and row.claim_token == sync_item.claim_token
    second = MailchimpSyncItem.objects.get(pk=sync_item.pk)
    assert not outbox.claim(second)  # nobody else may take it
    assert list(outbox.due_items()) == []
    assert not outbox.mark_synced(sync_item, outbox.Outcome(fingerprint="old"))
    row = item(SyncKind.CONTACT, contact.pk)
    assert row.status == SyncStatus.PENDING and row.claim_token == ""
    process_due()
    assert member_of(emulator, initialized.audience_id, contact.email)["merge_fields"]["FNAME"] == "Newer"


@pytest.mark.django_db
def test_an_expired_lease_hands_the_item_over_and_the_old_owner_stops_before_its_next_call(initialized, emulator):
    contact = person(initialized.shop)
    outbox.record([initialized.shop_id], SyncKind.CONTACT, contact.pk)
    first = item(SyncKind.CONTACT, contact.pk)
    assert outbox.claim(first)
    second = MailchimpSyncItem.objects.get(pk=first.pk)
    assert not outbox.claim(second)  # within the lease
    MailchimpSyncItem.objects.filter(pk=first.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox.claim(second)  # the first owner is presumed dead
    with pytest.raises(outbox.LostClaim):
        outbox.renew(first)  # ... and if it was only slow, it stops here, before sending
    assert not outbox.mark_synced(first, outbox.Outcome(fingerprint="stale"))
    assert item(SyncKind.CONTACT, contact.pk).claim_token == second.claim_token


@pytest.mark.django_db
def test_the_lease_outlasts_one_calls_whole_time_out_budget(settings):
    from shuup_mailchimp.checks import check_settings

    from shuup_mailchimp.app_settings import app_settings

    connect, read = app_settings.TIMEOUT
    assert outbox.lease().total_seconds() > connect + read + 120  # + the wait for a connection slot
    settings.SHUUP_MAILCHIMP_CLAIM_LEASE = 30
    assert "shuup_mailchimp.E003" in {p.id for p in check_settings()}


# 3. an email change never leaves the old address subscribed ------------------------------------------

@pytest.mark.django_db
def test_email_change_while_every_patch_fails_then_recovery(initialized, emulator, monkeypatch):
    contact = person(initialized.shop, email="old.one@mailbox.org")
    with mailchimp_failing(emulator, monkeypatch, "PATCH") as refused:
        contact.email = "new.one@mailbox.org"
        contact.save()
        flush()
        assert refused  # the move was tried and refused
        # Nothing was created at the new address while the old one is still subscribed.
        assert member_of(emulator, initialized.audience_id, "new.one@mailbox.org") is None
        assert item(SyncKind.CONTACT, contact.pk).status == SyncStatus.PENDING
    flush()
    assert status_of(emulator, initialized, "new.one@mailbox.org") == "subscribed"
    assert member_of(emulator, initialized.audience_id, "old.one@mailbox.org") is None
    contact.marketing_permission = False  # a withdrawal now reaches the address that is subscribed
    contact.save()
    assert status_of(emulator, initialized, "new.one@mailbox.org") == "unsubscribed"


@pytest.mark.django_db
def test_email_change_to_an_address_that_is_already_a_member_unsubscribes_the_old_one(initialized, emulator):
    contact = person(initialized.shop, email="old.two@mailbox.org")
    import requests

    from .conftest import EMULATOR_BASE

    answer = requests.put(  # the new address is already on the audience (a store purchase, say)
        "%s/3.0/lists/%s/members/new.two@mailbox.org" % (EMULATOR_BASE, initialized.audience_id),
        auth=("shop", initialized.api_key), json={"email_address": "new.two@mailbox.org", "status_if_new": "transactional"})
    assert answer.status_code == 200
    contact.email = "new.two@mailbox.org"
    contact.save()
    assert status_of(emulator, initialized, "old.two@mailbox.org") == "unsubscribed"
    assert member_of(emulator, initialized.audience_id, "new.two@mailbox.org") is not None
    assert item(SyncKind.CONTACT, contact.pk).status == SyncStatus.SYNCED


# 4. shops sharing one audience ---------------------------------------------------------------------

@pytest.mark.django_db
def test_shops_sharing_an_audience_never_touch_each_others_interests(initialized, emulator):
    from shuup.core.models import ContactGroup

    from shuup_mailchimp.sync.store import initialize_store

    vip_one = ContactGroup.objects.create(shop=initialized.shop, name="VIP")
    second = factories.get_shop(identifier="second", domain="second.example-shop.com", name="Second")
    vip_two = ContactGroup.objects.create(shop=second, name="VIP")
    other = MailchimpShopSettings(shop=second, api_key=initialized.api_key, audience_id=initialized.audience_id,
                                  enabled=True)
    other.save()
    initialize_store(other)  # never adopts shop 1's "VIP" by its name
    one_id = item(SyncKind.INTEREST, vip_one.pk).remote_id
    two_id = item(SyncKind.INTEREST, vip_two.pk).remote_id
    assert one_id and two_id and one_id != two_id
    vip_two.delete()
    categories = emulator.snapshot()["lists"][initialized.audience_id]["interest_categories"]
    assert any(one_id in c["interests"] for c in categories.values())
    contact = person(initialized.shop)
    vip_one.members.add(contact)
    assert item(SyncKind.CONTACT, contact.pk, initialized.shop_id).status == SyncStatus.SYNCED
    assert member_of(emulator, initialized.audience_id, contact.email)["interests"][one_id] is True


# 5. an interest deleted in Mailchimp is repaired ------------------------------------------------------

@pytest.mark.django_db
def test_interest_deleted_in_mailchimp_is_recreated_and_the_contact_sent(initialized, emulator):
    group = factories.create_random_contact_group(shop=initialized.shop)
    contact = person(initialized.shop)
    group.members.add(contact)
    old_id = item(SyncKind.INTEREST, group.pk).remote_id
    with emulator._lock:  # deleted by someone in Mailchimp's UI
        for category in emulator.lists[initialized.audience_id]["interest_categories"].values():
            category["interests"].pop(old_id, None)
    contact.first_name = "Changed"
    contact.save()
    sync_item = item(SyncKind.CONTACT, contact.pk)
    assert sync_item.status == SyncStatus.SYNCED, sync_item.last_error
    new_id = item(SyncKind.INTEREST, group.pk).remote_id
    assert new_id and new_id != old_id
    assert member_of(emulator, initialized.audience_id, contact.email)["interests"][new_id] is True


# 6. a lost answer to an order-line DELETE ---------------------------------------------------------------

@pytest.mark.django_db
def test_retry_after_a_lost_line_delete_answer_updates_the_order(initialized, emulator, monkeypatch):
    from shuup_mailchimp.client import ecommerce
    from shuup_mailchimp.exceptions import MailchimpConnectionError

    supplier = factories.get_default_supplier()
    products = [factories.create_product("lost-%d" % n, shop=initialized.shop, supplier=supplier, default_price=5)
                for n in range(2)]
    contact = person(initialized.shop)
    order = factories.create_random_order(customer=contact, products=products, shop=initialized.shop,
                                          random_products=False)
    outbox.record([initialized.shop_id], SyncKind.ORDER, order.pk)
    process_due()
    real = ecommerce.delete_order_line

    def applied_then_dropped(*args, **kwargs):
        real(*args, **kwargs)
        raise MailchimpConnectionError(title="Connection failed", detail="connection reset")

    monkeypatch.setattr(ecommerce, "delete_order_line", applied_then_dropped)
    order.lines.filter(product=products[0]).delete()
    outbox.record([initialized.shop_id], SyncKind.ORDER, order.pk)
    process_due()
    assert item(SyncKind.ORDER, order.pk).status == SyncStatus.PENDING  # the answer was lost: retry
    monkeypatch.setattr(ecommerce, "delete_order_line", real)
    flush()
    sync_item = item(SyncKind.ORDER, order.pk)
    assert sync_item.status == SyncStatus.SYNCED, sync_item.last_error
    remote = emulator.snapshot()["stores"][initialized.store_id]["orders"][str(order.pk)]
    assert {line["product_id"] for line in remote["lines"]} == {str(products[1].pk)}


# 7. one shop, one store ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_store_create_that_timed_out_but_was_applied_is_reused(shop_settings, emulator, monkeypatch):
    from shuup_mailchimp.client import ecommerce
    from shuup_mailchimp.exceptions import MailchimpConnectionError
    from shuup_mailchimp.sync.store import initialize_store

    shop_settings.shop.domain = ""  # nothing to recognise the store by but its id
    shop_settings.shop.save()
    real = ecommerce.create_store

    def applied_then_timed_out(client, body):
        real(client, body)
        raise MailchimpConnectionError(title="Timeout", detail="read timed out")

    monkeypatch.setattr(ecommerce, "create_store", applied_then_timed_out)
    with pytest.raises(MailchimpConnectionError):
        initialize_store(shop_settings)
    monkeypatch.setattr(ecommerce, "create_store", real)
    shop_settings.refresh_from_db()
    initialize_store(shop_settings)
    assert len(emulator.snapshot()["stores"]) == 1
    assert shop_settings.store_id in emulator.snapshot()["stores"]


@pytest.mark.django_db
def test_two_workers_initializing_one_shop_agree_on_one_store_id(shop_settings, emulator):
    from shuup_mailchimp.sync.store import initialize_store

    shop_settings.shop.domain = ""  # nothing to recognise the store by but its id
    shop_settings.shop.save()
    stale_copy = MailchimpShopSettings.objects.get(pk=shop_settings.pk)  # read before either saved an id
    initialize_store(shop_settings)
    initialize_store(stale_copy)
    assert len(emulator.snapshot()["stores"]) == 1
    assert stale_copy.store_id == shop_settings.store_id


@pytest.mark.django_db
def test_a_new_store_requeues_what_the_shop_already_has(shop_settings, emulator):
    from shuup_mailchimp.sync.store import initialize_store

    shop_settings.enabled = False
    shop_settings.save()
    contact = person(shop_settings.shop)  # made while the integration was off
    shop_settings.enabled = True
    shop_settings.save()
    initialize_store(shop_settings)
    assert item(SyncKind.CONTACT, contact.pk).status == SyncStatus.PENDING
    process_due()
    assert status_of(emulator, shop_settings, contact.email) == "subscribed"


# 9. an outage of half a day is ridden out; an operator can flush ------------------------------------------

def test_the_default_retry_budget_rides_out_twelve_hours(settings):
    class Unlucky:  # the shortest jitter every time
        def random(self):
            return 0.0

    from shuup_mailchimp.app_settings import app_settings

    total = sum(outbox.retry_delay(n, Unlucky()) for n in range(1, app_settings.MAX_ATTEMPTS))
    assert total >= 12 * 3600
    assert max(outbox.retry_delay(n) for n in range(1, 40)) <= 3600


@pytest.mark.django_db
def test_manual_sync_after_an_outage_sends_what_waits_for_its_backoff(initialized, emulator):
    emulator.fault_rate = 1.0
    contacts = [person(initialized.shop, email="p%d@mailbox.org" % n) for n in range(3)]
    assert all(item(SyncKind.CONTACT, c.pk).next_attempt_at > timezone.now() for c in contacts)
    emulator.fault_rate = 0.0
    periodic = process_due()  # the periodic task keeps the backoff
    assert periodic.synced == 0 and periodic.waiting == 3 and "waiting for their next attempt" in str(periodic)
    summary = flush()
    assert summary.synced == 3 and summary.waiting == 0
    assert all(status_of(emulator, initialized, c.email) == "subscribed" for c in contacts)


@pytest.mark.django_db
def test_permanent_errors_still_fail_at_once(initialized, emulator):
    contact = person(initialized.shop, email="someone@example.com")  # "looks fake" in Mailchimp
    sync_item = item(SyncKind.CONTACT, contact.pk)
    assert sync_item.status == SyncStatus.FAILED and sync_item.attempts == 1
    assert sync_item.last_error_kind == ErrorKind.MAILCHIMP


# 10. errors classified for retrying ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_database_error_is_transient(initialized, emulator, monkeypatch):
    from django.db import OperationalError

    from shuup_mailchimp.sync import handlers

    def deadlock(*args, **kwargs):
        raise OperationalError("deadlock detected")

    monkeypatch.setitem(handlers.HANDLERS, SyncKind.CONTACT, deadlock)
    contact = person(initialized.shop)
    sync_item = item(SyncKind.CONTACT, contact.pk)
    assert sync_item.status == SyncStatus.PENDING and sync_item.last_error_kind == ErrorKind.DATABASE


@pytest.mark.django_db
def test_a_bug_is_an_internal_error_retried_with_bounds_not_a_mailchimp_error(initialized, emulator, monkeypatch):
    from shuup_mailchimp.sync import handlers

    def bug(*args, **kwargs):
        raise KeyError("FNAME")

    monkeypatch.setitem(handlers.HANDLERS, SyncKind.CONTACT, bug)
    contact = person(initialized.shop)
    sync_item = item(SyncKind.CONTACT, contact.pk)
    assert sync_item.status == SyncStatus.PENDING and sync_item.last_error_kind == ErrorKind.INTERNAL
    assert sync_item.last_error_title == "Internal error" and "KeyError" in sync_item.last_error_detail
    assert sync_item.last_error_status is None


@pytest.mark.django_db
def test_a_failing_customer_inside_an_order_is_not_left_processing(initialized, emulator, monkeypatch):
    from shuup_mailchimp.sync import contacts

    def bug(*args, **kwargs):
        raise ValueError("boom")

    supplier = factories.get_default_supplier()
    product = factories.create_product("inline-1", shop=initialized.shop, supplier=supplier, default_price=5)
    contact = person(initialized.shop)
    monkeypatch.setattr(contacts.members, "upsert_member", bug)
    order = factories.create_random_order(customer=contact, products=[product], shop=initialized.shop,
                                          random_products=False)
    outbox.record([initialized.shop_id], SyncKind.ORDER, order.pk)
    MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT).update(fingerprint="")
    outbox.record([initialized.shop_id], SyncKind.CONTACT, contact.pk)
    process_due(kinds=[SyncKind.ORDER])
    assert item(SyncKind.CONTACT, contact.pk).status == SyncStatus.PENDING
    assert item(SyncKind.ORDER, order.pk).status == SyncStatus.PENDING
    assert not MailchimpSyncItem.objects.filter(status=SyncStatus.PROCESSING).exists()


# smaller defects -------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_unchanged_saves_after_a_withdrawal_write_nothing(initialized, emulator):
    contact = person(initialized.shop)
    contact.marketing_permission = False
    contact.save()
    writes = emulator.stats["writes"]
    for n in range(10):
        contact.save()
    assert emulator.stats["writes"] == writes


@pytest.mark.django_db
def test_product_edits_reach_mailchimp(initialized, emulator):
    supplier = factories.get_default_supplier()
    product = factories.create_product("edit-1", shop=initialized.shop, supplier=supplier, default_price=5)
    product.name = "Renamed product"
    product.save()
    shop_product = product.get_shop_instance(initialized.shop)
    shop_product.default_price_value = 7
    shop_product.save()
    remote = emulator.snapshot()["stores"][initialized.store_id]["products"][str(product.pk)]
    assert remote["title"] == "Renamed product" and remote["variants"][str(product.pk)]["price"] == 7.0


@pytest.mark.django_db
def test_reading_settings_creates_no_row(shop):
    assert MailchimpShopSettings.for_shop(shop).pk is None
    assert not MailchimpShopSettings.objects.exists()


@pytest.mark.django_db
def test_status_counts_are_counted_by_the_database(initialized, emulator, django_assert_num_queries):
    for n in range(3):
        person(initialized.shop, email="count%d@mailbox.org" % n)
    with django_assert_num_queries(1):
        counts = outbox.status_counts(initialized.shop_id)
    assert counts[(SyncKind.CONTACT, SyncStatus.SYNCED)] == 3


@pytest.mark.django_db
def test_order_payload_loads_lines_with_their_products_in_one_query(initialized, django_assert_max_num_queries):
    from shuup_mailchimp.sync.payloads import order_payload

    supplier = factories.get_default_supplier()
    products = [factories.create_product("np1-%d" % n, shop=initialized.shop, supplier=supplier, default_price=5)
                for n in range(5)]
    order = factories.create_random_order(customer=person(initialized.shop), products=products,
                                          shop=initialized.shop, random_products=False)
    from shuup_mailchimp.sync.orders import order_lines

    lines = order_lines(order)
    with django_assert_max_num_queries(4):  # taxes and refunds of the order, never one per line
        order_payload(order, {"id": "1"}, lines=lines)


@pytest.mark.django_db
def test_every_process_writes_a_log_row(initialized, emulator):
    import io

    from django.core.management import call_command

    from shuup_mailchimp.admin_module.resend import resend_failed_items

    person(initialized.shop, email="someone@example.com")  # fails
    contact = person(initialized.shop, email="later@mailbox.org")
    outbox.record([initialized.shop_id], SyncKind.CONTACT, contact.pk)  # e.g. recorded while the broker was down
    process_due()
    resend_failed_items(initialized.shop_id)
    call_command("mailchimp_configure", "--shop", str(initialized.shop_id), "--two-way", stdout=io.StringIO())
    call_command("mailchimp_check", "--shop", str(initialized.shop_id), stdout=io.StringIO())
    rows = MailchimpLogEntry.objects.filter(method="")
    assert {"initialize_store", "sync_run", "resend", "configure", "check_connection"} <= set(
        rows.values_list("operation", flat=True))
    configure = rows.get(operation="configure")
    assert "two_way" in configure.message and initialized.api_key not in configure.message
    assert "1 item(s) of this shop taken" in rows.get(operation="sync_run").message


@pytest.mark.django_db
def test_status_command_and_overview_say_when_the_next_attempt_is(initialized, emulator, admin_user):
    import io

    from django.core.management import call_command
    from django.test import Client

    emulator.fault_rate = 1.0
    person(initialized.shop)
    emulator.fault_rate = 0.0
    out = io.StringIO()
    call_command("mailchimp_status", "--shop", str(initialized.shop_id), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["waiting"] == 1 and data["next_attempt_at"] and data["retrying"][0]["next_attempt_at"]
    client = Client()
    client.force_login(admin_user)
    html = client.get("/sa/mailchimp/shop/%d/" % initialized.shop_id).content.decode()  # the shop's dashboard
    assert 'id="mailchimp-health"' in html and "waiting, next attempt at" in html


@pytest.mark.django_db
def test_mailchimp_sync_flushes_waiting_items_and_says_what_still_waits(initialized, emulator):
    import io

    from django.core.management import call_command

    emulator.fault_rate = 1.0
    first = person(initialized.shop, email="flush1@mailbox.org")
    out = io.StringIO()
    call_command("mailchimp_sync", "--shop", str(initialized.shop_id), "--no-progress", stdout=out, stderr=io.StringIO())
    assert "1 retrying later" in out.getvalue() and "1 waiting for their next attempt" in out.getvalue()
    emulator.fault_rate = 0.0
    out = io.StringIO()
    call_command("mailchimp_sync", "--shop", str(initialized.shop_id), "--no-progress", stdout=out, stderr=io.StringIO())
    assert "1 synced" in out.getvalue() and "waiting" not in out.getvalue()
    assert status_of(emulator, initialized, first.email) == "subscribed"


@pytest.mark.django_db
def test_two_groups_with_one_name_both_become_interests(initialized, emulator):
    from shuup.core.models import ContactGroup

    first = ContactGroup.objects.create(shop=initialized.shop, name="Buyers")
    second = ContactGroup.objects.create(shop=initialized.shop, name="Buyers")  # Mailchimp refuses a duplicate
    contact = person(initialized.shop)
    second.members.add(contact)
    assert item(SyncKind.CONTACT, contact.pk).status == SyncStatus.SYNCED
    names = {i["name"] for c in emulator.snapshot()["lists"][initialized.audience_id]["interest_categories"].values()
             for i in c["interests"].values()}
    assert {"Buyers", "Buyers (#%d)" % second.pk} <= names
    assert item(SyncKind.INTEREST, first.pk).remote_id != item(SyncKind.INTEREST, second.pk).remote_id
