"""Bounded retries with backoff, resend of failed items, and the sync/status commands."""
import json
import random
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from shuup.core.models import PersonContact

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.processing import process_due

from .conftest import member_of


def person(shop, email):
    contact = PersonContact.objects.create(first_name="Cy", last_name="Retry", email=email, marketing_permission=True)
    contact.add_to_shop(shop)
    return contact


def make_due():
    MailchimpSyncItem.objects.filter(status=SyncStatus.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1))


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_backoff_grows_exponentially_with_jitter_and_is_capped(settings):
    settings.SHUUP_MAILCHIMP_RETRY_BASE_DELAY = 10
    settings.SHUUP_MAILCHIMP_RETRY_MAX_DELAY = 100
    rng = random.Random(1)
    delays = [outbox.retry_delay(n, rng) for n in range(1, 8)]
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20 and 20 <= delays[2] <= 40
    assert all(50 <= d <= 100 for d in delays[4:])


@pytest.mark.django_db
def test_transient_failures_retry_then_give_up_after_max_attempts(initialized, emulator, settings):
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = 3
    emulator.fault_rate = 1.0  # every call: 429 / 500 / 503 / dropped connection
    contact = person(initialized.shop, "flaky@mailbox.org")
    item = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk)
    assert (item.status, item.attempts) == (SyncStatus.PENDING, 1)
    assert item.next_attempt_at > timezone.now()
    assert process_due().total == 0  # not due yet: backoff is respected
    make_due()
    process_due()
    make_due()
    summary = process_due()
    item.refresh_from_db()
    assert item.status == SyncStatus.FAILED and item.attempts == 3 and summary.failed == 1
    assert "gave up after 3 attempts" in item.note and item.last_error_title
    make_due()
    assert process_due().total == 0  # failed items are never retried on their own


@pytest.mark.django_db
def test_resend_failed_with_the_sync_command(initialized, emulator, settings):
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = 1
    emulator.fault_rate = 1.0
    contact = person(initialized.shop, "resend.me@mailbox.org")
    assert MailchimpSyncItem.objects.get(object_id=contact.pk).status == SyncStatus.FAILED
    with pytest.raises(CommandError):  # still failing: non-zero exit
        run("mailchimp_sync", "--shop", str(initialized.shop_id), "--failed", "--no-progress")
    emulator.fault_rate = 0.0
    out = run("mailchimp_sync", "--shop", str(initialized.shop_id), "--failed", "--no-progress")
    assert "Resending 1 failed items" in out and "1 synced" in out
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "subscribed"


@pytest.mark.django_db
def test_sync_all_sends_existing_contacts_and_status_reports(initialized, emulator):
    initialized.enabled = False
    initialized.save()
    contacts = [person(initialized.shop, "old%d@mailbox.org" % n) for n in range(5)]
    bad = person(initialized.shop, "bad@example.com")  # Mailchimp rejects example.com addresses
    initialized.enabled = True
    initialized.save()
    with pytest.raises(CommandError, match="1 items failed"):
        run("mailchimp_sync", "--shop", str(initialized.shop_id), "--all", "--no-progress")
    for contact in contacts:
        assert member_of(emulator, initialized.audience_id, contact.email)
    data = json.loads(run("mailchimp_status", "--shop", str(initialized.shop_id), "--json"))
    assert data["counts"]["contact"]["synced"] == 5 and data["counts"]["contact"]["failed"] == 1
    assert data["latest_errors"][0]["object_id"] == bad.pk and "fake or invalid" in data["latest_errors"][0]["error"]
    text = run("mailchimp_status", "--shop", str(initialized.shop_id))
    assert "Invalid Resource" in text


@pytest.mark.django_db
def test_sync_refuses_a_disabled_shop(shop_settings):
    shop_settings.enabled = False
    shop_settings.save()
    with pytest.raises(CommandError, match="not enabled"):
        run("mailchimp_sync", "--shop", str(shop_settings.shop_id))


@pytest.mark.django_db
def test_unknown_shop_lists_the_known_ones(shop):
    with pytest.raises(CommandError, match="No shop with id 999"):
        run("mailchimp_status", "--shop", "999")


@pytest.mark.django_db
def test_item_changed_in_flight_stays_pending(initialized, emulator):
    contact = person(initialized.shop, "inflight@mailbox.org")
    item = MailchimpSyncItem.objects.get(object_id=contact.pk)
    outbox.record([initialized.shop_id], SyncKind.CONTACT, contact.pk)
    item.refresh_from_db()
    assert outbox.claim(item)
    outbox.record([initialized.shop_id], SyncKind.CONTACT, contact.pk)  # a save while we were sending
    assert not outbox.mark_synced(item, outbox.Outcome())
    item.refresh_from_db()
    assert item.status == SyncStatus.PENDING


@pytest.mark.django_db
def test_stale_processing_item_is_taken_again(initialized, emulator):
    contact = person(initialized.shop, "stuck@mailbox.org")
    MailchimpSyncItem.objects.filter(object_id=contact.pk).update(
        status=SyncStatus.PROCESSING, modified_on=timezone.now() - timedelta(hours=1), fingerprint="")
    assert process_due().synced == 1


@pytest.mark.django_db
def test_log_cleanup_respects_retention(initialized, settings):
    from shuup_mailchimp.models import MailchimpLogEntry

    assert MailchimpLogEntry.objects.exists()
    MailchimpLogEntry.objects.filter(operation="stores.create").update(created_on=timezone.now() - timedelta(days=40))
    settings.SHUUP_MAILCHIMP_LOG_RETENTION_DAYS = 30
    out = run("mailchimp_cleanup_logs")
    assert "Deleted 1 log entries" in out
    assert not MailchimpLogEntry.objects.filter(operation="stores.create").exists()
