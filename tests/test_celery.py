"""Celery wiring: a real worker (Redis on the PostgreSQL run, kombu's memory broker on SQLite),
a broker outage that loses nothing, and the periodic pick-up of due items."""
import os
import time

import pytest
from shuup.core.models import PersonContact

from shuup_mailchimp import tasks
from shuup_mailchimp.enums import SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem

from .conftest import member_of

BROKER = os.environ.get("CELERY_BROKER_URL") or "memory://"


@pytest.fixture
def celery_app(settings):
    """The demo project's Celery app on a real broker. Celery reads the Django settings live."""
    from shuup_mailchimp.testing.project.celery import app

    settings.CELERY_BROKER_URL = BROKER
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SHUUP_MAILCHIMP_DISPATCH = None  # celery, since a broker is set: what production gets
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0
    return app


def person(shop, email):
    contact = PersonContact.objects.create(first_name="Cel", last_name="Ery", email=email, marketing_permission=True)
    contact.add_to_shop(shop)
    return contact


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_work(initialized, emulator, celery_app):
    from celery.contrib.testing.worker import start_worker

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        contact = person(initialized.shop, "worker@mailbox.org")
        item = MailchimpSyncItem.objects.get(object_id=contact.pk)
        deadline = time.monotonic() + 30
        while item.status != SyncStatus.SYNCED and time.monotonic() < deadline:
            time.sleep(0.2)
            item.refresh_from_db()
    assert item.status == SyncStatus.SYNCED, "broker %s: item still %s" % (BROKER, item.status)
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "subscribed"


@pytest.mark.django_db(transaction=True)
def test_broker_outage_loses_nothing(initialized, emulator, celery_app):
    from django.conf import settings

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    contact = person(initialized.shop, "outage@mailbox.org")  # the save must not fail
    item = MailchimpSyncItem.objects.get(object_id=contact.pk)
    assert item.status == SyncStatus.PENDING
    assert member_of(emulator, initialized.audience_id, contact.email) is None
    tasks.process_due.apply()  # what Celery beat runs every minute once the broker is back
    item.refresh_from_db()
    assert item.status == SyncStatus.SYNCED and member_of(emulator, initialized.audience_id, contact.email)


def test_beat_schedule_names_registered_tasks():
    from shuup_mailchimp.testing.project.celery import _merge_beat_schedule, app

    app.loader.import_default_modules()
    for entry in tasks.BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
    # The demo project's beat runs them (merged in by its Celery app when it is configured). The app
    # is loaded with the settings, so an earlier test may have configured it under other settings
    # (a task called directly does): merge again under these.
    _merge_beat_schedule(app, app.conf)
    assert set(tasks.BEAT_SCHEDULE) <= set(app.conf.beat_schedule)


def test_celery_dispatch_kicks_one_delayed_task_per_window(settings, monkeypatch):
    settings.CELERY_BROKER_URL = BROKER
    settings.SHUUP_MAILCHIMP_DISPATCH = None
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 60
    kicks = []
    monkeypatch.setattr(tasks.process_due, "apply_async", lambda **options: kicks.append(options))
    monkeypatch.setitem(tasks._last_kick, "at", -1e9)
    for _ in range(5):
        tasks.schedule([(1, "contact", 1)])
    assert kicks == [{"countdown": 60.05, "retry": False}]  # just past the quiet period
