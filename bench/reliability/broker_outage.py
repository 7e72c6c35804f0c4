"""Broker outage: contacts saved while Redis is down cost little and are all sent once it is back.

A private Redis (``redis-server --save "" --appendonly no``: a restart comes back empty, so every
task queued before the crash is lost too), the emulator as a server process (0.05 s per request),
a throwaway PostgreSQL database, one Celery worker with beat (``-P prefork -c 2 -B``, beat's
``process_due`` every ``SHUUP_MAILCHIMP_PROCESS_INTERVAL`` = 5 s here, 60 s by default).

1. Broker up: N contacts are edited, each save in its own transaction, timed (commit and the
   ``on_commit`` publish included). Every save attempts its kick: the per-process kick window is
   reset before each one, so each pays for a publish (the worst case; in a burst only the first
   save of each ``TASK_COUNTDOWN`` window publishes).
2. Redis SIGKILLed; the worker keeps running (it reconnects by itself). The same N contacts are
   edited again and N new ones created, timed the same way: every save must succeed and cost
   < 50 ms more than with the broker up (medians), since the addon publishes with
   ``apply_async(retry=False)`` and the demo settings give kombu ``max_retries: 0``.
3. Redis restarted (empty). Nothing is queued any more: the kicks of the saves made during the
   outage failed and those queued before it died with Redis. Beat's periodic ``process_due`` in
   the running worker is what sends the work. Every contact must end in Mailchimp with its last data.
"""
import statistics
import time

from _scenario import Scenario  # noqa: I100
from _celery import Harness, outbox_counts, unsettled, wait_until  # noqa: I100

INTERVAL = 5


def timed_save(contact, **changes):
    """Seconds for one save in its own transaction (commit and on_commit hooks included)."""
    from django.db import transaction

    from shuup_mailchimp import tasks

    tasks._last_kick["at"] = -1e9  # this save publishes its own kick (the worst case)
    started = time.perf_counter()
    with transaction.atomic():
        for name, value in changes.items():
            setattr(contact, name, value)
        contact.save()
    return time.perf_counter() - started


def timed_create(shop, n, last_name):
    from django.db import transaction
    from shuup.core.models import PersonContact

    from shuup_mailchimp import tasks

    tasks._last_kick["at"] = -1e9
    started = time.perf_counter()
    with transaction.atomic():
        contact = PersonContact.objects.create(first_name="Out%d" % n, last_name=last_name,
                                               email="outage%d@mailbox.org" % n, marketing_permission=True)
        contact.add_to_shop(shop)
    return contact, time.perf_counter() - started


def main():
    scenario = Scenario("broker_outage", "Broker outage: saves while Redis is down, nothing lost after")
    n = 200 if scenario.long else 40
    harness = Harness(scenario)
    redis = harness.redis()
    emulator = harness.emulator(latency=0.05)
    harness.prepare(redis.url, emulator, {"SHUUP_MAILCHIMP_PROCESS_INTERVAL": INTERVAL})
    worker = harness.worker("worker", concurrency=2, beat=True, wait=False)  # starts while Django sets up here
    harness.setup_django()
    from shuup.core.models import PersonContact

    shop, _ = harness.enabled_shop(emulator)
    scenario.note("Private Redis broker (no persistence), one worker celery -P prefork -c 2 -B with beat's "
                  "process_due every %d s (SHUUP_MAILCHIMP_PROCESS_INTERVAL; default 60 s), emulator process at "
                  "0.05 s per request, throwaway PostgreSQL. Every timed save publishes its own kick (the per-process "
                  "kick window is reset before each): the worst case." % INTERVAL)
    worker.wait_ready()

    contacts = []
    for i in range(n):
        contact = PersonContact.objects.create(first_name="Up%d" % i, last_name="Initial", email="up%d@mailbox.org" % i,
                                               marketing_permission=True)
        contact.add_to_shop(shop)
        contacts.append(contact)
    wait_until(lambda: unsettled() == 0, 120, 0.2)
    for contact in contacts[:5]:  # warm-up: connections, caches
        timed_save(contact, last_name="Warm")
    up = [timed_save(contact, last_name="BrokerUp") for contact in contacts]
    up_synced = wait_until(lambda: unsettled() == 0, 60, 0.2)
    scenario.check("broker up: saves sent", up_synced, unsettled(), "0 pending")

    redis.kill()
    down, failed = [], 0
    for contact in contacts:
        try:
            down.append(timed_save(contact, last_name="BrokerDown"))
        except Exception:
            failed += 1
    created = []
    for i in range(n):
        try:
            contact, seconds = timed_create(shop, i, "CreatedDown")
            created.append(contact)
            down.append(seconds)
        except Exception:
            failed += 1
    pending_during = unsettled()
    scenario.figure("saves_up", len(up), "saves timed with the broker up")
    scenario.figure("saves_down", len(down), "saves timed with the broker down (edits and creations)")
    scenario.figure("save_up_median_ms", round(statistics.median(up) * 1000, 1), "save, broker up: median (ms)")
    scenario.figure("save_up_max_ms", round(max(up) * 1000, 1), "save, broker up: max (ms)")
    edits_down = down[:len(contacts)]
    scenario.figure("save_down_median_ms", round(statistics.median(edits_down) * 1000, 1),
                    "edit, broker down: median (ms)")
    scenario.figure("save_down_max_ms", round(max(down) * 1000, 1), "save, broker down: max (ms), creations included")
    scenario.figure("create_down_median_ms", round(statistics.median(down[len(contacts):]) * 1000, 1),
                    "creation (contact + shop link), broker down: median (ms)")
    extra = statistics.median(edits_down) - statistics.median(up)
    scenario.figure("extra_median_ms", round(extra * 1000, 1), "extra per edit with the broker down, medians (ms)")
    scenario.check("every save succeeded with the broker down", failed == 0, failed, "0 failed")
    scenario.check("median extra cost of a save with the broker down", extra < 0.050, round(extra * 1000, 1),
                   "< 50 ms")
    scenario.figure("pending_during_outage", pending_during, "items waiting in the outbox during the outage")

    time.sleep(2)
    redis.restart()
    restarted, mark = time.monotonic(), len(worker.lines)
    sent = wait_until(lambda: unsettled() == 0, 120, 0.2)
    ticks = sum("Sending due task shuup-mailchimp-process-due" in line for line in worker.lines[mark:])
    scenario.figure("beat_runs_after_restart", ticks, "beat's process_due sent after the restart, until all was out")
    scenario.figure("restart_to_sent_s", round(time.monotonic() - restarted, 1),
                    "Redis restart -> every item sent (s), by beat's periodic process_due")
    scenario.figure("worker_alive", worker.alive, "the worker survived the outage (reconnected)")
    stale = []
    for contact in contacts + created:
        member = emulator.member(contact.email, fields="status,merge_fields") or {}
        if member.get("status") != "subscribed" or member.get("merge_fields", {}).get("LNAME") != contact.last_name:
            stale.append(contact.pk)
    counts = outbox_counts()
    scenario.figure("items", counts, "outbox items by status at the end")
    scenario.check("everything recorded went out after the restart", sent and set(counts) == {"synced"}, counts,
                   "only synced")
    scenario.check("each contact in Mailchimp with its last data", not stale, len(stale), "0 stale or missing")

    scenario.dump_database()
    harness.close()
    return scenario.finish()


if __name__ == "__main__":
    raise SystemExit(main())
