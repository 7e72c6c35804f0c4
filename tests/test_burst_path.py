"""A burst of saves of one contact (checkout saves the customer several times): once a run that
takes its items is known to come, a save on SQLite only bumps an item still pending, due and
untried, and schedules nothing more. These tests pin the rule from its dangerous side: whenever
the item is anything else (being sent, synced, failed, in backoff, a retry), or no run is known to
come (none could be promised, the transaction rolled back, the quiet period is over, PostgreSQL),
the save takes the full path: the full statement and a schedule, exactly as a lone save would.
"""
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from shuup.core.models import PersonContact
from shuup.testing import factories

from shuup_mailchimp import tasks
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync import outbox

sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the burst path is SQLite's")


class Calls(list):
    """The keys of each schedule call; ``promise["run"]`` is what the calls answer."""


@pytest.fixture
def schedules(monkeypatch, settings):
    """Record every tasks.schedule call; it promises a run (as a woken worker or a kick does)."""
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 30  # no test here outlives the window by accident
    calls = Calls()
    promise = {"run": True}

    def schedule(keys):
        calls.append(list(keys))
        return promise["run"]

    monkeypatch.setattr(tasks, "schedule", schedule)
    calls.promise = promise
    return calls


def enabled_shops(n=1):
    shops = [factories.get_default_shop()] + [
        factories.get_shop(identifier="shop%d" % k, name="Shop %d" % k) for k in range(2, n + 1)]
    for shop in shops:
        settings = MailchimpShopSettings.for_shop(shop)
        settings.api_key, settings.audience_id, settings.enabled = "0" * 32 + "-us1", "list1", True
        settings.save()
    outbox.forget_active_shops()
    return shops


def customer(shops):
    contact = PersonContact.objects.create(first_name="Burst", last_name="Path", email="burst.path@mailbox.org")
    for shop in shops:
        contact.add_to_shop(shop)
    return contact


def item_of(contact, shop):
    return MailchimpSyncItem.objects.get(shop=shop, kind=SyncKind.CONTACT, object_id=contact.pk)


def save(contact, name):
    contact.first_name = name
    contact.save()


@sqlite_only
@pytest.mark.django_db
def test_a_save_in_a_burst_bumps_the_item_and_schedules_nothing_more(schedules):
    shop, = enabled_shops()
    contact = customer([shop])
    save(contact, "First")  # the full path: the run is scheduled after its commit, and remembered
    calls, before = len(schedules), item_of(contact, shop)
    save(contact, "Second")
    after = item_of(contact, shop)
    assert len(schedules) == calls  # the run scheduled by the first save takes this one too
    assert after.version == before.version + 1  # the change is recorded: a run that claimed it sees it
    assert after.status == SyncStatus.PENDING and after.attempts == 0
    assert after.next_attempt_at == before.next_attempt_at  # how long it has waited (the coalescing cap)
    assert after.modified_on > before.modified_on  # its quiet period starts again


def a_second_save_schedules(schedules):
    """A contact saved twice in a row: whether its second save scheduled a run of its own."""
    shop, = enabled_shops()
    contact = customer([shop])
    save(contact, "First")
    calls = len(schedules)
    save(contact, "Second")
    return len(schedules) == calls + 1


def make(item, **fields):
    MailchimpSyncItem.objects.filter(pk=item.pk).update(**fields)


PAST, FUTURE = timedelta(minutes=-5), timedelta(minutes=30)
STATES = [
    # the item's state when the next save of the burst comes, and what that save must leave
    ("being sent", dict(status=SyncStatus.PROCESSING, claim_token="w1"), SyncStatus.PROCESSING, None),
    ("synced", dict(status=SyncStatus.SYNCED), SyncStatus.PENDING, 0),
    ("failed", dict(status=SyncStatus.FAILED, attempts=6), SyncStatus.PENDING, 0),
    ("in backoff", dict(attempts=2, due_in=FUTURE), SyncStatus.PENDING, 0),
    ("a due retry", dict(attempts=3, due_in=PAST), SyncStatus.PENDING, 0),
]


@sqlite_only
@pytest.mark.django_db
@pytest.mark.parametrize("state,fields,status_after,attempts_after", STATES, ids=[s[0] for s in STATES])
def test_a_save_in_a_burst_takes_the_full_path_unless_the_item_waits_untried(
        schedules, state, fields, status_after, attempts_after):
    shop, = enabled_shops()
    contact = customer([shop])
    save(contact, "First")
    fields = dict(fields)
    due_in = fields.pop("due_in", None)
    if due_in is not None:
        fields["next_attempt_at"] = timezone.now() + due_in
    make(item_of(contact, shop), **fields)
    before, calls = item_of(contact, shop), len(schedules)

    save(contact, "Second")

    after = item_of(contact, shop)
    assert len(schedules) == calls + 1, "a save of an item that is %s must schedule a run" % state
    assert after.version == before.version + 1  # bumped once (the bump missed it)
    assert after.status == status_after
    if attempts_after is not None:
        assert after.attempts == attempts_after and after.next_attempt_at <= timezone.now()
    else:  # owned: the owner finishes, and the moved version sends it round again
        assert after.claim_token == "w1" and after.attempts == before.attempts


@sqlite_only
@pytest.mark.django_db
def test_a_burst_over_two_shops_takes_the_full_path_when_one_item_is_not_waiting(schedules):
    first, second = enabled_shops(2)
    contact = customer([first, second])
    save(contact, "First")
    make(item_of(contact, second), status=SyncStatus.SYNCED)
    calls = len(schedules)
    save(contact, "Second")
    assert len(schedules) == calls + 1
    assert item_of(contact, second).status == SyncStatus.PENDING  # the synced shop hears of it too
    assert item_of(contact, first).status == SyncStatus.PENDING


@sqlite_only
@pytest.mark.django_db
def test_no_burst_path_when_the_schedule_promised_no_run(schedules):
    # "inline" sent the items already; an error left them for the periodic run; a process exiting
    schedules.promise["run"] = False
    assert a_second_save_schedules(schedules)


@sqlite_only
@pytest.mark.django_db
def test_no_burst_path_once_the_quiet_period_is_over(schedules, settings):
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0  # sent at once: no run stays known to come
    assert a_second_save_schedules(schedules)


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_save_leaves_no_run_known_to_come(schedules):
    shop, = enabled_shops()
    contact = customer([shop])
    outbox._run_coming.clear()  # (Shuup's add_to_shop saved the contact: a run is known to come)
    calls = len(schedules)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            save(contact, "Rolled back")
            raise RuntimeError("the request failed")
    assert len(schedules) == calls  # nothing committed, nothing scheduled, nothing remembered
    save(contact, "Kept")
    assert len(schedules) == calls + 1


@pytest.mark.django_db
def test_on_postgresql_every_save_takes_the_full_path(schedules):
    if connection.vendor == "sqlite":
        pytest.skip("PostgreSQL's path (a HOT update needs no bump)")
    assert a_second_save_schedules(schedules)


@pytest.mark.parametrize("dispatch,publish_fails,promised", [
    ("celery", False, True),  # a kick is queued: it runs after this commit
    ("celery", True, False),  # broker down: the items wait for the periodic run
    ("inline", False, False),  # sent already: nothing is coming, and a next save must schedule again
])
def test_what_a_schedule_promises(settings, monkeypatch, dispatch, publish_fails, promised):
    settings.SHUUP_MAILCHIMP_DISPATCH = dispatch
    monkeypatch.setattr(tasks, "_last_kick", {"at": -1e9})
    published = []

    def apply_async(*args, **kwargs):
        if publish_fails:
            raise ConnectionError("broker down")
        published.append(kwargs)

    monkeypatch.setattr(tasks.process_due, "apply_async", apply_async)
    monkeypatch.setattr("shuup_mailchimp.sync.processing.process_items", lambda keys: None)
    assert tasks.schedule([(1, "contact", 1)]) is promised
    if dispatch == "celery" and not publish_fails:
        assert published and tasks.schedule([(1, "contact", 2)]) is True  # the kick queued covers this one
        assert len(published) == 1
