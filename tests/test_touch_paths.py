"""The contact save's touch_all (one UPDATE on the driver's cursor): what it does to an item in every
state it can be in, for one shop and several, on both databases.
"""
from datetime import timedelta

import pytest
from django.utils import timezone
from shuup.testing import factories

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import outbox

PAST, FUTURE = timedelta(minutes=-5), timedelta(minutes=30)


def item_in(shop, object_id, status, due_in=PAST, attempts=0, null_due=False):
    return MailchimpSyncItem.objects.create(
        shop=shop, kind=SyncKind.CONTACT, object_id=object_id, status=status, attempts=attempts, version=7,
        next_attempt_at=None if null_due else timezone.now() + due_in)


def touched(item, shops=None):
    before = MailchimpSyncItem.objects.get(pk=item.pk)
    keys = outbox.touch_all(shops or [item.shop_id], SyncKind.CONTACT, item.object_id)
    return before, MailchimpSyncItem.objects.get(pk=item.pk), keys


CASES = [
    # status, due in, attempts, null due -> status after, attempts after, due time kept
    (SyncStatus.PENDING, PAST, 0, False, SyncStatus.PENDING, 0, True),  # the bump
    (SyncStatus.PENDING, PAST, 3, False, SyncStatus.PENDING, 0, True),  # a due retry made fresh: attempts reset
    (SyncStatus.PENDING, FUTURE, 2, False, SyncStatus.PENDING, 0, False),  # backoff cut short: due now
    (SyncStatus.PENDING, FUTURE, 0, False, SyncStatus.PENDING, 0, False),
    (SyncStatus.PENDING, PAST, 0, True, SyncStatus.PENDING, 0, False),  # no due time: given one
    (SyncStatus.SYNCED, PAST, 0, False, SyncStatus.PENDING, 0, False),
    (SyncStatus.FAILED, PAST, 6, False, SyncStatus.PENDING, 0, False),
    (SyncStatus.PROCESSING, PAST, 1, False, SyncStatus.PROCESSING, 1, False),  # owned: only the version moves
]


@pytest.mark.django_db
@pytest.mark.parametrize("status,due_in,attempts,null_due,status_after,attempts_after,due_kept", CASES)
def test_touch_all_in_every_item_state(status, due_in, attempts, null_due, status_after, attempts_after, due_kept):
    shop = factories.get_default_shop()
    item = item_in(shop, 11, status, due_in, attempts, null_due)
    before, after, keys = touched(item)
    assert keys and after.version == before.version + 1  # bumped exactly once
    assert after.status == status_after and after.attempts == attempts_after
    assert after.modified_on >= before.modified_on
    if due_kept:
        assert after.next_attempt_at == before.next_attempt_at  # how long it has waited (the coalescing cap)
    elif status != SyncStatus.PROCESSING:
        assert after.next_attempt_at and after.next_attempt_at <= timezone.now()
        assert before.next_attempt_at is None or after.next_attempt_at != before.next_attempt_at


@pytest.mark.django_db
def test_touch_all_over_shops_in_different_states_bumps_each_once():
    shops = [factories.get_default_shop(), factories.get_shop(identifier="second", name="Second"),
             factories.get_shop(identifier="third", name="Third")]
    items = [item_in(shops[0], 12, SyncStatus.PENDING), item_in(shops[1], 12, SyncStatus.SYNCED)]
    # the third shop has no item for this contact
    assert outbox.touch_all([s.pk for s in shops], SyncKind.CONTACT, 12)
    after = {i.pk: MailchimpSyncItem.objects.get(pk=i.pk) for i in items}
    assert [after[i.pk].version for i in items] == [8, 8]
    assert [after[i.pk].status for i in items] == [SyncStatus.PENDING, SyncStatus.PENDING]
    assert not MailchimpSyncItem.objects.filter(shop=shops[2]).exists()


@pytest.mark.django_db
def test_touch_all_without_an_item_touches_nothing():
    shop = factories.get_default_shop()
    assert outbox.touch_all([shop.pk], SyncKind.CONTACT, 999) == []
    assert not MailchimpSyncItem.objects.exists()
