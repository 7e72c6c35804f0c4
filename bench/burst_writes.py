"""API writes caused by a burst of 10 saves of one contact (target: 1 write per Mailchimp resource).

A contact is two Mailchimp resources (the audience member and the eCommerce customer), so one
sync of it is one member PUT and one customer PUT. Scenarios:
- broker (production): each save commits on its own; the Celery kick runs after the window;
- background (no broker, the default): each save commits on its own and wakes the process's
  background thread, which sends after the window;
- inline, one transaction: synchronous dispatch, the saves share a transaction (one after-commit run);
- inline, separate commits: synchronous dispatch and no window to fold the burst into, so each
  changed save is sent (this is why inline is for tests only);
- unchanged saves: ten saves that change nothing Mailchimp sees send nothing (fingerprints).
"""
import sys
import time

from _setup import enabled_shop, last_log_id, setup_django, start_emulator, writes_by_operation


def main():
    setup_django()
    from django.conf import settings
    from django.db import transaction
    from shuup.core.models import PersonContact

    from shuup_mailchimp import runner
    from shuup_mailchimp.sync.processing import process_due

    emulator, server = start_emulator()
    shop, _ = enabled_shop(emulator)
    settings.SHUUP_MAILCHIMP_DISPATCH = "inline"
    contact = PersonContact.objects.create(first_name="Burst", last_name="Test", email="burst@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(shop)
    results = {}

    # broker: saves only record; what the delayed kick does is process_due()
    settings.SHUUP_MAILCHIMP_DISPATCH = "celery"
    settings.CELERY_BROKER_URL = "memory://"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from shuup_mailchimp.testing.project.celery import app  # noqa: F401

    since = last_log_id()
    for n in range(10):
        contact.first_name = "Broker%d" % n
        contact.save()
    process_due()
    results["broker, 10 separate commits"] = writes_by_operation(since)

    settings.SHUUP_MAILCHIMP_DISPATCH = "background"
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 1
    runs = runner.get_runner().runs
    since = last_log_id()
    for n in range(10):
        contact.first_name = "Background%d" % n
        contact.save()
    deadline = time.monotonic() + 30
    while runner.get_runner().runs == runs and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.shutdown()
    results["background, 10 separate commits"] = writes_by_operation(since)

    settings.SHUUP_MAILCHIMP_DISPATCH = "inline"
    since = last_log_id()
    with transaction.atomic():
        for n in range(10):
            contact.first_name = "Atomic%d" % n
            contact.save()
    results["inline, one transaction"] = writes_by_operation(since)

    since = last_log_id()
    for n in range(10):
        contact.first_name = "Separate%d" % n
        contact.save()
    results["inline, 10 separate commits"] = writes_by_operation(since)

    since = last_log_id()
    for n in range(10):
        contact.save()
    results["10 saves changing nothing"] = writes_by_operation(since)

    for name, counts in results.items():
        print("%-35s member writes %2d, customer writes %2d" % (
            name, counts.get("members.upsert", 0), counts.get("customers.upsert", 0)))
    for mode in ("broker", "background"):
        counts = results["%s, 10 separate commits" % mode]
        print("BURST writes per resource for 10 saves (%s) = %d (target 1)" % (
            mode, max(counts.get("members.upsert", 0), counts.get("customers.upsert", 0))))
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
