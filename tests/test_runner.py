"""Without a broker (SHUUP_MAILCHIMP_DISPATCH = "background") the work leaves the request: a
background thread of the process sends it after the commit, survives errors, and stops cleanly."""
import functools
import os
import threading
import time

import pytest
from django.core.management import call_command
from shuup.core.models import PersonContact

from shuup_mailchimp import runner, tasks
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import processing

from .conftest import member_of

DEADLINE = 30  # seconds: generous, only for slow machines; nothing here asserts a speed


@pytest.fixture
def background(settings, emulator, monkeypatch):
    """A fresh background worker as the process's worker; stopped before the emulator and the database go."""
    settings.SHUUP_MAILCHIMP_DISPATCH = "background"
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0.2
    settings.SHUUP_MAILCHIMP_PROCESS_INTERVAL = 60
    worker = runner.BackgroundRunner(name="shuup-mailchimp-test-runner")
    monkeypatch.setattr(runner, "_runner", worker)
    yield worker
    assert worker.shutdown(timeout=DEADLINE), "the background worker did not stop"


def wait_for(condition, what):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % (what() if callable(what) else what))


def person(shop, email, first_name="Run"):
    contact = PersonContact.objects.create(first_name=first_name, last_name="Ner", email=email,
                                           marketing_permission=True)
    contact.add_to_shop(shop)  # its own commit: the outbox item, then the wake-up
    return contact


def status_of(contact):
    return MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk).status


def gate_process_due(monkeypatch, gate, threads):
    """Make process_due wait for ``gate`` and note the thread it runs in (signature kept)."""
    real = processing.process_due

    @functools.wraps(real)
    def gated(*args, **kwargs):
        threads.append(threading.current_thread())
        assert gate.wait(DEADLINE)
        return real(*args, **kwargs)

    monkeypatch.setattr(processing, "process_due", gated)


@pytest.mark.django_db(transaction=True)
def test_a_save_returns_before_any_mailchimp_call(initialized, emulator, background, monkeypatch,
                                                  django_assert_num_queries):
    gate, threads = threading.Event(), []
    gate_process_due(monkeypatch, gate, threads)
    requests_before = emulator.stats["requests"]

    contact = person(initialized.shop, "after.response@mailbox.org")

    # Committed and returned: nothing was sent, the item waits in the outbox, a worker is on it.
    assert emulator.stats["requests"] == requests_before
    assert status_of(contact) == SyncStatus.PENDING
    assert background.running
    with django_assert_num_queries(0):  # what a request pays after its commit: an Event.set()
        tasks.schedule([(initialized.shop_id, SyncKind.CONTACT.value, contact.pk)])

    gate.set()
    wait_for(lambda: member_of(emulator, initialized.audience_id, contact.email), "the member in Mailchimp")
    wait_for(lambda: status_of(contact) == SyncStatus.SYNCED, "the item synced")
    assert threads and threading.current_thread() not in threads and threads[0].name == background.name


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_saves_is_one_write(initialized, emulator, background, settings):
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 1  # ten saves fit in it many times over
    runs = background.runs
    contact = person(initialized.shop, "burst@mailbox.org")
    wait_for(lambda: background.runs > runs and status_of(contact) == SyncStatus.SYNCED, "the first sync")

    writes, runs = emulator.stats["writes"], background.runs
    contact.first_name = "Once"
    contact.save()
    wait_for(lambda: background.runs > runs and status_of(contact) == SyncStatus.SYNCED, "one change synced")
    one_change = emulator.stats["writes"] - writes
    assert one_change >= 1

    writes, runs = emulator.stats["writes"], background.runs
    for n in range(10):  # ten requests, each with its own commit
        contact.first_name = "Burst%d" % n
        contact.save()
    wait_for(lambda: background.runs > runs and status_of(contact) == SyncStatus.SYNCED,
             lambda: "the burst synced: %s; runs %d, last run %r" % (
                 list(MailchimpSyncItem.objects.filter(object_id=contact.pk).values()), background.runs,
                 getattr(background, "last_summary", None)))
    assert member_of(emulator, initialized.audience_id, contact.email)["merge_fields"]["FNAME"] == "Burst9"
    assert emulator.stats["writes"] - writes == one_change  # a slow machine may need more rounds, not writes


@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_an_error_and_the_interval_run_retries(initialized, emulator, background, settings,
                                                                    monkeypatch, caplog):
    settings.SHUUP_MAILCHIMP_PROCESS_INTERVAL = 0.5
    real, calls = processing.process_due, []

    @functools.wraps(real)
    def broken_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(processing, "process_due", broken_once)
    contact = person(initialized.shop, "survivor@mailbox.org")

    # No other save wakes it: the periodic run sends the item.
    wait_for(lambda: member_of(emulator, initialized.audience_id, contact.email), "the member after the error")
    assert background.running
    assert any("background run failed" in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_stopping_at_exit_leaves_nothing_processing(initialized, emulator, background, settings, monkeypatch):
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0
    gate = threading.Event()
    gate_process_due(monkeypatch, gate, [])  # SQLite: no writes of ours while the worker writes
    contacts = [person(initialized.shop, "stop%d@mailbox.org" % n) for n in range(8)]
    emulator.latency = 0.2  # each Mailchimp call takes a while: the stop comes mid-run
    gate.set()
    wait_for(lambda: any(status_of(c) == SyncStatus.SYNCED for c in contacts), "a first item synced")

    assert runner.shutdown() is True  # what atexit calls: the item in flight finishes, then it stops

    assert not background.running
    statuses = [status_of(c) for c in contacts]
    assert SyncStatus.PROCESSING not in statuses
    assert SyncStatus.PENDING in statuses  # stopped between items; the rest waits in the outbox

    person(initialized.shop, "after.exit@mailbox.org")  # a late save starts nothing
    assert not background.running

    emulator.latency = 0
    call_command("mailchimp_sync", "--shop", str(initialized.shop_id), "--no-progress")  # right after
    assert MailchimpSyncItem.objects.exclude(status=SyncStatus.SYNCED).count() == 0


@pytest.mark.django_db(transaction=True)
def test_stopping_during_the_countdown_sends_nothing_and_keeps_the_work(initialized, emulator, background,
                                                                        settings):
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 60
    requests_before = emulator.stats["requests"]
    contact = person(initialized.shop, "countdown@mailbox.org")
    assert background.running
    assert runner.shutdown(timeout=DEADLINE) is True  # does not wait out the countdown
    assert status_of(contact) == SyncStatus.PENDING
    assert emulator.stats["requests"] == requests_before


def test_a_forked_child_starts_its_own_worker(settings, monkeypatch):
    """gunicorn --preload: the parent's thread does not exist in a worker process."""
    settings.SHUUP_MAILCHIMP_DISPATCH = "background"
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 600  # never reaches the database
    hooked, unhooked = runner.BackgroundRunner(), runner.BackgroundRunner()
    monkeypatch.setattr(runner, "_runner", hooked)  # reset by the at-fork hook; `unhooked` by its pid check
    try:
        hooked.wake(), unhooked.wake()
        parents = (hooked._thread, unhooked._thread)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report and leave at once
            try:
                hooked.wake(), unhooked.wake()
                ok = all(w.running and w._thread is not p for w, p in zip((hooked, unhooked), parents))
                os.write(write, b"ok" if ok else b"no")
            finally:
                os._exit(0)
        os.close(write)
        answer = os.read(read, 16)
        os.waitpid(pid, 0)
        assert answer == b"ok"
        assert hooked._thread is parents[0] and unhooked._thread is parents[1]  # the parent's are untouched
    finally:
        assert hooked.shutdown(timeout=DEADLINE) and unhooked.shutdown(timeout=DEADLINE)


def test_inline_and_celery_dispatch_do_not_start_the_worker(settings, monkeypatch):
    worker = runner.BackgroundRunner()
    monkeypatch.setattr(runner, "_runner", worker)
    monkeypatch.setattr(processing, "process_items", lambda keys: None)
    settings.SHUUP_MAILCHIMP_DISPATCH = "inline"
    tasks.schedule([1])
    settings.SHUUP_MAILCHIMP_DISPATCH = "celery"
    kicks = []
    monkeypatch.setattr(tasks.process_due, "apply_async", lambda **options: kicks.append(options))
    monkeypatch.setitem(tasks._last_kick, "at", -1e9)
    tasks.schedule([1])
    assert worker._thread is None and len(kicks) == 1


@pytest.mark.parametrize("hook", ["should_stop", "progress"])
def test_a_stop_is_asked_between_items(monkeypatch, caplog, hook):
    """With process_due's ``should_stop`` hook, or (older signature) through its ``progress`` callback."""
    worker, done = runner.BackgroundRunner(), []

    def process(n):
        if n == 2:
            worker._stop.set()  # shutdown() is asked while the third item is in flight
        done.append(n)

    def with_should_stop(shop_id=None, kinds=None, limit=None, progress=None, should_stop=None, settle=False):
        for n in range(5):
            if should_stop():
                break
            process(n)
        return processing.RunSummary(synced=len(done))

    def with_progress_only(shop_id=None, kinds=None, limit=None, progress=None):
        for n in range(5):
            process(n)
            progress(n)
        return processing.RunSummary(synced=len(done))

    fake = with_should_stop if hook == "should_stop" else with_progress_only
    monkeypatch.setattr(processing, "process_due", fake)
    worker.drain()  # never raises
    assert done == [0, 1, 2] and worker.runs == 1
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "WARNING")]


def test_a_wake_promises_a_run_until_the_worker_stops(settings):
    # tasks.schedule passes this on: a save in a burst schedules nothing only while a run will come
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 30  # woken, it waits: it is stopped before any drain
    worker = runner.BackgroundRunner(name="shuup-mailchimp-test-promise")
    assert worker.wake() is True  # starts the thread
    assert worker.wake() is True  # already woken
    assert worker.shutdown(timeout=DEADLINE)
    assert worker.wake() is False and not worker.running
