"""Cost of the addon in the shop's request path: a contact save with the integration enabled vs disabled,
in both dispatch modes a new installation can get (``SHUUP_MAILCHIMP_DISPATCH = None``):

- broker: ``CELERY_BROKER_URL`` set (Redis at 127.0.0.1:6379/15 when reachable, else kombu's
  in-memory transport); the save queues at most one delayed Celery kick per window;
- background: no broker; the save wakes this process's background thread, which sends the work
  after the window (to the emulator, a real HTTP server on loopback in a process of its own, as
  Mailchimp is remote: in the same process its request handling took the interpreter lock from
  the saves measured, which no real installation has).

Each save runs in its own transaction (like a request), so commit and the after-commit hook are
included. Short blocks of saves rotate between the three modes (disabled, broker, background;
the order shifts every round) to cancel drift on a shared machine; medians of wall time are
compared (thread CPU time is printed too: it ignores time lost to other processes). Nothing calls
Mailchimp in the request in either mode. Target: each ratio <= 1.05.
"""
import statistics
import sys
import time

from _setup import EmulatorProcess, enabled_shop, setup_django

BLOCK = 21  # the first save of a block is not counted: it pays for the mode switch (a settings save)
ROUNDS = 60  # 1,200 counted saves per mode
MODES = ("disabled", "broker", "background")
TARGET = 1.05


def main():
    setup_django()
    import redis
    from django.conf import settings
    from django.db import connection, transaction
    from shuup.core.models import PersonContact

    from shuup_mailchimp import runner
    from shuup_mailchimp.app_settings import app_settings
    from shuup_mailchimp.models import MailchimpSyncItem

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

    contact = PersonContact.objects.create(first_name="Bench", last_name="Mark", email="bench@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(shop)
    expected = {"disabled": None, "broker": "celery", "background": "background"}

    times = {mode: [] for mode in MODES}
    cpu = {mode: [] for mode in MODES}

    def block(mode, n, counted=True):
        enabled = mode != "disabled"
        if shop_settings.enabled != enabled:
            shop_settings.enabled = enabled
            shop_settings.save()
        settings.CELERY_BROKER_URL = broker if mode == "broker" else None
        assert not enabled or app_settings.DISPATCH == expected[mode], (mode, app_settings.DISPATCH)
        for i in range(BLOCK):
            contact.first_name = "Bench%d" % (n * BLOCK + i)
            started, cpu_started = time.perf_counter(), time.thread_time()
            with transaction.atomic():
                contact.save()
            if i and counted:
                times[mode].append(time.perf_counter() - started)
                cpu[mode].append(time.thread_time() - cpu_started)

    for mode in MODES:  # warm-up
        block(mode, 0, counted=False)
    for n in range(ROUNDS):
        for k in range(len(MODES)):
            block(MODES[(n + k) % len(MODES)], n)

    runner_runs = runner.get_runner().runs  # it sent the work meanwhile, no request waiting on it
    runner.shutdown()
    item = MailchimpSyncItem.objects.get(object_id=contact.pk)
    median = {mode: statistics.median(values) * 1000 for mode, values in times.items()}
    cpu_median = {mode: statistics.median(values) * 1000 for mode, values in cpu.items()}
    print("contact save on %s, median of %d per mode: addon disabled %.3f ms, broker (%s) %.3f ms, "
          "no broker (background thread) %.3f ms" % (
              connection.vendor, len(times["disabled"]), median["disabled"], broker.split(":")[0],
              median["broker"], median["background"]))
    print("background thread: %d runs during the bench; item %s" % (runner_runs, item.status.value))
    for mode, label in (("broker", "broker"), ("background", "no_broker")):
        print("RATIO save_enabled_%s/save_disabled = %.3f (target <= %.2f; thread CPU time %.3f)" % (
            label, median[mode] / median["disabled"], TARGET, cpu_median[mode] / cpu_median["disabled"]))
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
