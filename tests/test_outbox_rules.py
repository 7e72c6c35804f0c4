"""Outbox rules from the dangerous side: ownership of an item, retries, and per-shop views of it."""
import random
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from shuup.testing import factories

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.exceptions import MailchimpPermanentError, MailchimpTransientError
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import outbox


def fresh(item):
    return MailchimpSyncItem.objects.get(pk=item.pk)


def pending_item(shop, object_id=4242, kind=SyncKind.CONTACT):
    outbox.record([shop.pk], kind, object_id)
    return MailchimpSyncItem.objects.get(shop=shop, kind=kind, object_id=object_id)


# --- claiming ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_claim_of_the_same_item_is_refused(shop):
    item = pending_item(shop)
    first_worker, second_worker = fresh(item), fresh(item)  # both read it while it was pending
    assert outbox.claim(first_worker) is True
    assert outbox.claim(second_worker) is False  # held by the first worker, and not stale
    assert outbox.claim(fresh(item)) is False


@pytest.mark.django_db
def test_a_synced_or_failed_item_is_not_claimed(shop):
    synced = pending_item(shop, object_id=1)
    MailchimpSyncItem.objects.filter(pk=synced.pk).update(status=SyncStatus.SYNCED)
    failed = pending_item(shop, object_id=2)
    MailchimpSyncItem.objects.filter(pk=failed.pk).update(status=SyncStatus.FAILED)
    assert outbox.claim(fresh(synced)) is False
    assert outbox.claim(fresh(failed)) is False


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["record", "touch", "touch_all"])
def test_a_change_recorded_while_processing_leaves_the_item_owned(shop, how):
    item = pending_item(shop)
    assert outbox.claim(item)
    if how == "record":
        outbox.record([shop.pk], SyncKind.CONTACT, item.object_id)
    elif how == "touch":
        outbox.touch(shop.pk, SyncKind.CONTACT, item.object_id)
    else:  # the contact-save hot path (plain SQL)
        outbox.touch_all([shop.pk], SyncKind.CONTACT, item.object_id)
    assert fresh(item).status == SyncStatus.PROCESSING
    assert outbox.claim(fresh(item)) is False  # still ours: nobody else may send it meanwhile


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["record", "touch", "touch_all"])
def test_a_new_change_gives_a_retrying_item_a_fresh_budget_and_makes_it_due(shop, settings, how):
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = 5
    item = pending_item(shop)
    assert outbox.claim(item)
    outbox.mark_error(item, MailchimpTransientError(status=503, title="Service Unavailable"), transient=True)
    assert fresh(item).attempts == 1 and item.pk not in {i.pk for i in outbox.due_items()}
    if how == "record":
        outbox.record([shop.pk], SyncKind.CONTACT, item.object_id)
    elif how == "touch":
        outbox.touch(shop.pk, SyncKind.CONTACT, item.object_id)
    else:
        outbox.touch_all([shop.pk], SyncKind.CONTACT, item.object_id)
    row = fresh(item)
    assert row.status == SyncStatus.PENDING and row.attempts == 0
    assert item.pk in {i.pk for i in outbox.due_items()}


# --- finishing: versions, retries, giving up -----------------------------------------------


@pytest.mark.django_db
def test_a_change_recorded_in_flight_keeps_the_item_pending_after_an_error(shop, settings):
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = 1  # this error would fail the item...
    item = pending_item(shop)
    assert outbox.claim(item)
    outbox.record([shop.pk], SyncKind.CONTACT, item.object_id)  # ... but the contact changed meanwhile
    status = outbox.mark_error(item, MailchimpPermanentError(status=400, title="Invalid Resource"), transient=False)
    assert status == SyncStatus.PENDING and fresh(item).status == SyncStatus.PENDING
    assert fresh(item).last_error_title == "Invalid Resource"  # the error stays visible


@pytest.mark.django_db
def test_transient_error_schedules_a_retry_in_the_future(shop, settings):
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = 5
    settings.SHUUP_MAILCHIMP_RETRY_BASE_DELAY = 60
    item = pending_item(shop)
    assert outbox.claim(item)
    now = timezone.now()
    status = outbox.mark_error(item, MailchimpTransientError(status=503, title="Service Unavailable"),
                               transient=True, now=now)
    row = fresh(item)
    assert status == SyncStatus.PENDING and row.status == SyncStatus.PENDING and row.attempts == 1
    assert now + timedelta(seconds=29) <= row.next_attempt_at <= now + timedelta(seconds=61)
    assert item.pk not in {i.pk for i in outbox.due_items()}  # not before its time


@pytest.mark.django_db
def test_permanent_error_fails_at_once_without_a_retry(shop, settings):
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = 5
    item = pending_item(shop)
    assert outbox.claim(item)
    status = outbox.mark_error(item, MailchimpPermanentError(status=400, title="Invalid Resource"), transient=False)
    row = fresh(item)
    assert status == SyncStatus.FAILED and row.status == SyncStatus.FAILED and row.next_attempt_at is None
    assert row.attempts == 1 and "gave up" not in row.note


@pytest.mark.django_db
def test_the_last_transient_attempt_gives_up(shop, settings):
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = 2
    item = pending_item(shop)
    for attempt in (1, 2):
        MailchimpSyncItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
        item = fresh(item)
        assert outbox.claim(item)
        status = outbox.mark_error(item, MailchimpTransientError(status=503, title="Service Unavailable"),
                                   transient=True)
        assert status == (SyncStatus.PENDING if attempt == 1 else SyncStatus.FAILED)
    row = fresh(item)
    assert row.status == SyncStatus.FAILED and row.attempts == 2 and "gave up after 2 attempts" in row.note


def test_retry_delay_doubles_and_is_capped(settings):
    settings.SHUUP_MAILCHIMP_RETRY_BASE_DELAY = 10
    settings.SHUUP_MAILCHIMP_RETRY_MAX_DELAY = 1000

    class Top:  # jitter at its maximum: the delay is exactly base * 2^(attempt-1), capped
        @staticmethod
        def random():
            return 1.0

    class Bottom:  # jitter at its minimum: never less than half the delay (no hot retry loop)
        @staticmethod
        def random():
            return 0.0

    assert [outbox.retry_delay(n, Top) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert outbox.retry_delay(30, Top) == 1000
    assert [outbox.retry_delay(n, Bottom) for n in (1, 2, 3)] == [5, 10, 20]
    assert 5 <= outbox.retry_delay(1, random.Random(3)) <= 10


@pytest.mark.django_db
def test_resend_gives_a_failed_item_a_fresh_budget(shop):
    item = pending_item(shop)
    MailchimpSyncItem.objects.filter(pk=item.pk).update(status=SyncStatus.FAILED, attempts=5, next_attempt_at=None)
    assert outbox.requeue_failed(shop_id=shop.pk) == 1
    row = fresh(item)
    assert row.status == SyncStatus.PENDING and row.attempts == 0
    assert item.pk in {i.pk for i in outbox.due_items()}


@pytest.mark.django_db
def test_a_synced_item_no_longer_shows_its_last_error(initialized, emulator):
    from shuup.core.models import PersonContact

    from shuup_mailchimp.sync.processing import process_due

    emulator.fault_rate = 1.0
    contact = PersonContact.objects.create(first_name="Err", last_name="Gone", email="errgone.rules@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    item = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk)
    assert item.status == SyncStatus.PENDING and item.last_error_title
    emulator.fault_rate = 0.0
    MailchimpSyncItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    process_due()
    row = fresh(item)
    assert row.status == SyncStatus.SYNCED
    assert (row.last_error_status, row.last_error_title, row.last_error_detail) == (None, "", "")


# --- the admin overview is per shop --------------------------------------------------------


def _order_row_counts(html):
    row = re.search(r'<tr data-kind="order">(.*?)</tr>', html, re.S).group(1)
    return [int(n) for n in re.findall(r">(\d+)<", row)]  # pending processing synced failed total


@pytest.mark.django_db
def test_admin_overview_counts_only_the_current_shops_items(initialized, admin_user):
    shop = initialized.shop
    other_shop = factories.get_shop(identifier="rules-other", domain="rules-other.example.com")
    for n in range(2):
        MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.ORDER, object_id=100 + n, status=SyncStatus.FAILED)
    for n in range(3):
        MailchimpSyncItem.objects.create(shop=other_shop, kind=SyncKind.ORDER, object_id=200 + n,
                                         status=SyncStatus.FAILED)
    client = Client()
    client.force_login(admin_user)
    response = client.get("/sa/mailchimp/shop/%d/" % shop.pk)  # the shop's Mailchimp dashboard
    assert response.status_code == 200
    html = response.content.decode("utf-8")
    assert _order_row_counts(html) == [0, 0, 0, 2, 2]
    assert "Resend all failed (2)" in html
