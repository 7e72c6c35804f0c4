"""Dispatched runs send an item once it has gone unchanged for the quiet period (TASK_COUNTDOWN),
so a burst of saves spread over a second is one write while a single save goes out in ~0.5 s;
and the Celery drain spreads a backlog over several workers without two owners per item."""
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from shuup.core.models import PersonContact

from shuup_mailchimp import tasks
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import outbox, processing

from .conftest import member_of
from .test_runner import background, person, status_of, wait_for  # noqa: F401 (fixture)


def items(shop, n, start=1000):
    return [MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.PRODUCT, object_id=start + k,
                                             next_attempt_at=timezone.now()) for k in range(n)]


def age(item_ids, seconds, due_seconds=None):
    """Pretend the items were last changed ``seconds`` ago (and became due ``due_seconds`` ago)."""
    past = timezone.now() - timedelta(seconds=seconds)
    due = timezone.now() - timedelta(seconds=due_seconds if due_seconds is not None else seconds)
    MailchimpSyncItem.objects.filter(pk__in=item_ids).update(modified_on=past, next_attempt_at=due)


@pytest.mark.django_db
def test_an_item_changed_within_the_quiet_period_waits(shop, settings):
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0.5
    settings.SHUUP_MAILCHIMP_MAX_COALESCE_DELAY = 10
    fresh, settled = items(shop, 2)
    age([settled.pk], 0.6)
    assert [i.pk for i in outbox.due_items(settle=0.5)] == [settled.pk]
    assert {i.pk for i in outbox.due_items()} == {fresh.pk, settled.pk}  # a flush does not wait
    assert outbox.settling(quiet=0.5)
    age([fresh.pk], 0.6)
    assert not outbox.settling(quiet=0.5)
    assert {i.pk for i in outbox.due_items(settle=0.5)} == {fresh.pk, settled.pk}


@pytest.mark.django_db
def test_an_object_saved_again_and_again_is_still_sent_within_the_cap(shop, settings):
    settings.SHUUP_MAILCHIMP_MAX_COALESCE_DELAY = 10
    busy, = items(shop, 1)
    age([busy.pk], 0.0, due_seconds=9)
    assert not list(outbox.due_items(settle=0.5))  # changed just now, due for 9 s: still waiting
    age([busy.pk], 0.0, due_seconds=11)
    assert [i.pk for i in outbox.due_items(settle=0.5)] == [busy.pk]  # changed just now, but due for 11 s


@pytest.mark.django_db
def test_a_touch_keeps_the_due_time_that_the_cap_counts_from(shop):
    contact = PersonContact.objects.create(first_name="A", email="cap@mailbox.org")
    item = MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.CONTACT, object_id=contact.pk,
                                            next_attempt_at=timezone.now() - timedelta(seconds=30))
    due_before = MailchimpSyncItem.objects.get(pk=item.pk).next_attempt_at
    outbox.touch_all([shop.pk], SyncKind.CONTACT, contact.pk)
    item.refresh_from_db()
    assert item.next_attempt_at == due_before and item.modified_on > due_before


@pytest.mark.django_db
def test_parts_split_the_due_items_without_overlap(shop):
    made = {i.pk for i in items(shop, 17)}
    parts = [{i.pk for i in outbox.due_items(part=(k, 3))} for k in range(3)]
    assert set().union(*parts) == made
    assert sum(len(p) for p in parts) == len(made) and all(parts)


@pytest.mark.django_db
def test_a_drain_does_its_part_then_helps_with_the_rest(shop, monkeypatch):
    made = items(shop, 9)
    taken = []
    monkeypatch.setattr(processing, "_process_batch",
                        lambda batch, c, summary, p, s: taken.append([i.pk for i in batch]) or True)
    processing.process_due(part=(1, 3), log=False)
    first, rest = taken[0], [pk for batch in taken[1:] for pk in batch]
    assert first and all(pk % 3 == 1 for pk in first)
    assert set(first) | set(rest) == {i.pk for i in made} and not set(first) & set(rest)


@pytest.mark.django_db
def test_a_backlog_fans_out_to_parallel_drains(shop, settings, monkeypatch):
    settings.SHUUP_MAILCHIMP_PARALLEL_DRAINS = 3
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0
    sent, runs = [], []
    monkeypatch.setattr(tasks.process_due, "apply_async", lambda args=(), **kw: sent.append((tuple(args), kw)))
    monkeypatch.setattr(processing, "process_due", lambda **kw: runs.append(kw) or processing.RunSummary())

    items(shop, tasks.FAN_OUT_MIN_ITEMS - 1)
    tasks.process_due()
    assert sent == [] and runs[-1]["part"] is None  # a small backlog: one drain

    items(shop, 1, start=5000)
    tasks.process_due()
    assert [args for args, _ in sent] == [(None, (1, 3)), (None, (2, 3))]
    assert runs[-1]["part"] == (0, 3) and runs[-1]["settle"] is True

    sent.clear()
    tasks.process_due(None, [2, 3])  # a sibling (JSON made its tuple a list) does not fan out again
    assert sent == [] and runs[-1]["part"] == (2, 3)


@pytest.mark.django_db
def test_items_still_settling_get_one_more_kick(shop, settings, monkeypatch):
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0.5
    settings.SHUUP_MAILCHIMP_PARALLEL_DRAINS = 1
    kicks = []
    monkeypatch.setattr(tasks.process_due, "apply_async", lambda args=(), **kw: kicks.append(kw))
    items(shop, 1)  # changed just now
    tasks.process_due()
    assert kicks == [{"countdown": 0.55, "retry": False}]
    MailchimpSyncItem.objects.all().delete()
    tasks.process_due()
    assert len(kicks) == 1  # nothing settling: no more kicks


@pytest.mark.django_db(transaction=True)
def test_saves_spread_over_a_second_are_one_write_and_a_lone_save_is_quick(initialized, emulator, background,
                                                                           settings):
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0.3
    contact = person(initialized.shop, "spread@mailbox.org")
    wait_for(lambda: status_of(contact) == SyncStatus.SYNCED, "the first sync")

    writes = emulator.stats["writes"]
    started = time.monotonic()
    for n in range(10):  # ten commits, 0.1 s apart: each lands inside the previous one's quiet period
        contact.first_name = "Spread%d" % n
        contact.save()
        time.sleep(0.1)
    wait_for(lambda: member_of(emulator, initialized.audience_id, contact.email)["merge_fields"]["FNAME"]
             == "Spread9", "the last name in Mailchimp")
    wait_for(lambda: status_of(contact) == SyncStatus.SYNCED, "the burst synced")
    assert emulator.stats["writes"] - writes == 2  # one member PUT and one customer PUT, once
    assert time.monotonic() - started < 10


@pytest.mark.django_db
def test_the_touch_writes_the_time_as_django_would(shop):
    """touch_all builds SQLite's time parameter itself (faster): it must be Django's own text, in UTC."""
    from django.db import connection

    ours = outbox._now_param(connection)
    django_s = connection.ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor == "sqlite":
        from datetime import datetime

        ours_at, django_at = datetime.fromisoformat(ours), datetime.fromisoformat(django_s)
        assert ours_at.tzinfo is None and django_at.tzinfo is None  # both naive UTC text, as Django stores it
        assert abs((ours_at - django_at).total_seconds()) < 1
    item, = items(shop, 1)
    outbox.touch_all([shop.pk], SyncKind.PRODUCT, item.object_id)
    item.refresh_from_db()
    assert abs((item.modified_on - timezone.now()).total_seconds()) < 5  # read back as an aware UTC time
