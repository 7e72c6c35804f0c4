"""A shop owner switches the integration off while changes wait, then on again: those changes go out.

A run that takes an item while the integration is off fails it ("switched off or incomplete").
Saving the settings with the integration on resends exactly those; other failures wait for Resend.
"""
import pytest
from shuup.core.models import PersonContact

from shuup_mailchimp import tasks
from shuup_mailchimp.enums import ErrorKind, SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import processing

from .conftest import member_of


@pytest.mark.django_db
def test_switched_on_again_the_changes_failed_while_off_are_sent(initialized, emulator, monkeypatch):
    scheduled = []  # nothing is sent at commit: the runs below send
    monkeypatch.setattr(tasks, "schedule", lambda keys: scheduled.append(list(keys)))
    contact = PersonContact.objects.create(first_name="Paused", email="paused@mailbox.org", marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    item = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk)
    other = MailchimpSyncItem.objects.create(shop=initialized.shop, kind=SyncKind.PRODUCT, object_id=999,
                                             status=SyncStatus.FAILED, last_error_kind=ErrorKind.MAILCHIMP,
                                             last_error_title="Invalid Resource")

    initialized.enabled = False
    initialized.save()
    processing.process_due(ignore_backoff=True)
    item.refresh_from_db()
    assert item.status == SyncStatus.FAILED and item.last_error_kind == ErrorKind.CONFIGURATION

    initialized.enabled = True
    initialized.save()
    item.refresh_from_db()
    assert item.status == SyncStatus.PENDING and item.attempts == 0
    assert scheduled[-1] == [item.pk]  # and a run is asked for
    other.refresh_from_db()
    assert other.status == SyncStatus.FAILED  # Mailchimp refused it: a Resend, after a look, not this

    processing.process_due()
    assert member_of(emulator, initialized.audience_id, contact.email)["merge_fields"]["FNAME"] == "Paused"
