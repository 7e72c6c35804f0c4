"""The admin's "Schedule sync": the answer, the progress page and its JSON, the history, the guard."""
import pytest
from django.contrib.messages import get_messages
from django.test import Client

from shuup_mailchimp.enums import FullSyncStatus
from shuup_mailchimp.models import MailchimpFullSync
from shuup_mailchimp.sync import fullsync
from shuup_mailchimp.sync.fullsync.runs import open_run

from .test_full_sync import build_shop, small_batches  # noqa: F401 (an autouse fixture)


@pytest.fixture
def client(shop, admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def page(shop, rest=""):
    return "/sa/mailchimp/shop/%d/full-sync/%s" % (shop.pk, rest)


@pytest.mark.django_db
def test_schedule_sync_queues_a_job_and_the_page_follows_it(client, initialized, emulator):
    build_shop(initialized)
    response = client.post(page(initialized.shop, "schedule/"))
    run = MailchimpFullSync.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith("full-sync/?scheduled=%d#progress" % run.pk)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "A sync job has been added to the queue. Check progress."]
    assert run.requested_by == "admin: admin"
    run.refresh_from_db()
    assert run.status == FullSyncStatus.FINISHED  # "inline" dispatch in the tests: it ran after the commit

    html = client.get(page(initialized.shop) + "?scheduled=%d" % run.pk).content.decode("utf-8")
    assert "A sync job has been added to the queue." in html and 'href="#progress"' in html
    assert 'data-progress-url="%s"' % page(initialized.shop, "progress.json") in html
    assert "Schedule sync" in html and "full-sync-history" in html

    data = client.get(page(initialized.shop, "progress.json")).json()
    assert data["run"]["id"] == run.pk and data["run"]["status"] == "finished"
    kinds = {k["kind"]: k for k in data["run"]["kinds"]}
    assert kinds["contact"]["done"] == kinds["contact"]["total"] == 8 and kinds["order"]["synced"] == 4
    assert data["run"]["elapsed_seconds"] >= 0 and data["run"]["failures"] == []
    assert [row["id"] for row in data["history"]] == [run.pk]


@pytest.mark.django_db
def test_a_second_schedule_while_one_runs_is_refused(client, initialized):
    running = open_run(initialized.shop_id, requested_by="command")
    response = client.post(page(initialized.shop, "schedule/"))
    assert response.status_code == 302 and response["Location"].endswith(page(initialized.shop))
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "already running (#%d" % running.pk in message
    assert MailchimpFullSync.objects.count() == 1


@pytest.mark.django_db
def test_scheduling_needs_an_enabled_shop(client, shop_settings):
    shop_settings.enabled = False
    shop_settings.save()
    client.post(page(shop_settings.shop, "schedule/"))
    assert not MailchimpFullSync.objects.exists()


@pytest.mark.django_db
def test_progress_json_while_running_estimates_the_rest(client, initialized):
    run = open_run(initialized.shop_id)
    MailchimpFullSync.objects.filter(pk=run.pk).update(
        phase="contacts", elapsed=10.0, counts={"contact": {"total": 100, "synced": 20, "unchanged": 5},
                                                 "product": {"total": 10}, "order": {"total": 40}},
        failures=[{"kind": "contact", "object_id": 7, "final": True, "error": "Invalid Resource: looks fake"}])
    data = client.get(page(initialized.shop, "progress.json")).json()["run"]
    assert data["phase"] == "contacts" and data["done"] == 25 and data["total"] == 150
    assert data["remaining_seconds"] > 0
    assert data["failures"][0]["error"].startswith("Invalid Resource")


@pytest.mark.django_db
def test_with_a_broker_the_job_is_a_celery_task(initialized, settings, monkeypatch):
    from shuup_mailchimp import tasks

    settings.SHUUP_MAILCHIMP_DISPATCH = "celery"
    sent = []
    monkeypatch.setattr(tasks.full_sync, "apply_async", lambda args, **kw: sent.append(args))
    run = fullsync.schedule(initialized.shop_id, requested_by="admin: x")
    assert sent == [(run.pk,)] and run.status == FullSyncStatus.QUEUED


@pytest.mark.django_db
def test_without_a_broker_the_job_runs_in_a_thread(initialized, emulator, settings, monkeypatch):
    settings.SHUUP_MAILCHIMP_DISPATCH = "background"
    started = []

    class Inline:
        def __init__(self, target, args, **kwargs):
            self.target, self.args = target, args

        def start(self):
            started.append(self.args)
            fullsync.execute_queued(*self.args)  # the thread's work, here (it would close its own connection)

    from types import SimpleNamespace

    monkeypatch.setattr(fullsync, "threading", SimpleNamespace(Thread=Inline))
    build_shop(initialized, contacts=2, orders=1)
    run = fullsync.schedule(initialized.shop_id)
    run.refresh_from_db()
    assert started == [(run.pk,)] and run.status == FullSyncStatus.FINISHED
    assert fullsync.execute_queued(run.pk) is None  # taken once only
