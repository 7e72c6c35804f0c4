"""Cost of the addon in the shop's request path: a contact save with the integration enabled vs disabled,
in both dispatch modes a new installation can get (``SHUUP_MAILCHIMP_DISPATCH = None``):

- broker: ``CELERY_BROKER_URL`` set (Redis at 127.0.0.1:6379/15 when reachable, else kombu's
  in-memory transport); the save queues at most one delayed Celery kick per window;
- background: no broker; the save wakes this process's background thread, which sends the work
  after the window (to the emulator, a real HTTP server on loopback in a process of its own, as
  Mailchimp is remote: in the same process its request handling took the interpreter lock from
  the saves measured, which no real installation has).

Each save runs in its own transaction (like a request), so commit and the after-commit hook are
included. Short blocks of saves rotate between the modes (the order shifts every round) to cancel
drift on a shared machine; medians of wall time are compared (thread CPU time is printed too: it
ignores time lost to other processes). Nothing calls Mailchimp in the request in either mode.
Target: each ratio <= 1.05.

The ratios with a target save one contact again and again, as a request does (Shuup's checkout
saves the customer several times): after the first save of such a burst a run is known to come,
and a save only bumps the item (sync/outbox.py, ``bump_if_run_coming``). The "isolated" line,
printed for information, saves each time another contact whose item is synced (a lone edit): the
full statement, which writes one more index page, and a schedule. Its own baseline saves other
contacts with the addon disabled.
"""
import statistics
import sys
import time

from _setup import EmulatorProcess, enabled_shop, setup_django

BLOCK = 21  # the first save of a block is not counted: it pays for the mode switch (a settings save)
ROUNDS = 60  # 1,200 counted saves per mode
MODES = ("disabled", "broker", "background")
ISOLATED_MODES = ("isolated_disabled", "isolated_broker")  # measured after MODES, rotating among themselves
TARGET = 1.05
#: Contacts the isolated modes take in turn: one is saved again only after ~1 s, long past the
#: quiet period, so each of its saves is a lone one.
POOL = 100


def main():
    setup_django()
    import redis
    from django.conf import settings
    from django.db import connection, transaction
    from shuup.core.models import PersonContact

    from shuup_mailchimp import runner
    from shuup_mailchimp.app_settings import app_settings
    from shuup_mailchimp.enums import SyncKind, SyncStatus
    from shuup_mailchimp.models import MailchimpSyncItem
    from shuup_mailchimp.sync import outbox

    server = EmulatorProcess()
    shop, shop_settings = enabled_shop(server)
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
        broker = "redis://127.0.0.1:6379/15"
    except Exception:
        broker = "memory://"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SHUUP_MAILCHIMP_DISPATCH = None  # the default: decided by CELERY_BROKER_URL
    from shuup_mailchimp.testing.project.celery import app  # noqa: F401 (binds the shared tasks)

    pool = []  # first: the background thread, woken by the next contact's save, must not write meanwhile
    with outbox.recording_suppressed():  # their items are made below, synced: nothing to send now
        for k in range(POOL):
            other = PersonContact.objects.create(first_name="Lone", last_name="Edit%d" % k,
                                                 email="lone%d@mailbox.org" % k, marketing_permission=True)
            other.add_to_shop(shop)
            pool.append(other)
    MailchimpSyncItem.objects.bulk_create([
        MailchimpSyncItem(shop=shop, kind=SyncKind.CONTACT, object_id=other.pk, status=SyncStatus.SYNCED)
        for other in pool])
    contact = PersonContact.objects.create(first_name="Bench", last_name="Mark", email="bench@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(shop)
    expected = {"disabled": None, "broker": "celery", "background": "background", "isolated_disabled": None,
                "isolated_broker": "celery"}

    times = {mode: [] for mode in MODES + ISOLATED_MODES}
    cpu = {mode: [] for mode in MODES + ISOLATED_MODES}

    def block(mode, n, counted=True):
        enabled = not mode.endswith("disabled")
        if shop_settings.enabled != enabled:
            shop_settings.enabled = enabled
            shop_settings.save()
        settings.CELERY_BROKER_URL = broker if mode.endswith("broker") else None
        assert not enabled or app_settings.DISPATCH == expected[mode], (mode, app_settings.DISPATCH)
        saved = [contact] * BLOCK
        if mode.startswith("isolated"):  # other contacts, each item synced (as after its last sync)
            saved = [pool[(n * 2 * BLOCK + i + (BLOCK if enabled else 0)) % POOL] for i in range(BLOCK)]
        for i in range(BLOCK):
            saved[i].first_name = "Bench%d" % (n * BLOCK + i)
            started, cpu_started = time.perf_counter(), time.thread_time()
            with transaction.atomic():
                saved[i].save()
            if i and counted:
                times[mode].append(time.perf_counter() - started)
                cpu[mode].append(time.thread_time() - cpu_started)
        if mode.startswith("isolated"):  # synced again before the background thread is woken
            MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT, object_id__in=[c.pk for c in pool]).update(
                status=SyncStatus.SYNCED, next_attempt_at=None)

    for modes in (MODES, ISOLATED_MODES):
        for mode in modes:  # warm-up
            block(mode, 0, counted=False)
        for n in range(ROUNDS):
            for k in range(len(modes)):
                block(modes[(n + k) % len(modes)], n)

    runner_runs = runner.get_runner().runs  # it sent the work meanwhile, no request waiting on it
    runner.shutdown()
    item = MailchimpSyncItem.objects.get(object_id=contact.pk)
    median = {mode: statistics.median(values) * 1000 for mode, values in times.items()}
    cpu_median = {mode: statistics.median(values) * 1000 for mode, values in cpu.items()}
    print("contact save on %s, median of %d per mode: addon disabled %.3f ms, broker (%s) %.3f ms, "
          "no broker (background thread) %.3f ms" % (
              connection.vendor, len(times["disabled"]), median["disabled"], broker.split(":")[0],
              median["broker"], median["background"]))
    print("background thread: %d runs during the bench; item %s%s" % (
        runner_runs, item.status.value, " (%s)" % item.last_error if item.last_error else ""))
    for mode, label in (("broker", "broker"), ("background", "no_broker")):
        print("RATIO save_enabled_%s/save_disabled = %.3f (target <= %.2f; thread CPU time %.3f)" % (
            label, median[mode] / median["disabled"], TARGET, cpu_median[mode] / cpu_median["disabled"]))
    print("isolated saves (another contact each time, its item synced): addon disabled %.3f ms, broker %.3f ms; "
          "ratio %.3f, thread CPU time %.3f (no target: the full statement and a schedule)" % (
              median["isolated_disabled"], median["isolated_broker"],
              median["isolated_broker"] / median["isolated_disabled"],
              cpu_median["isolated_broker"] / cpu_median["isolated_disabled"]))
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
