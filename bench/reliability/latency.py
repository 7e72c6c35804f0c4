"""Latency: from a contact save's commit to its new data in Mailchimp, with a real Celery worker.

A private Redis broker, one Celery worker (prefork, ``-c 2``, no beat: the kick each save's
commit publishes is what sends it), the emulator as a server process with 0.1 s per request, a
throwaway PostgreSQL database. N contacts (200; short mode 60) are synced first; then each is
saved once, in its own transaction, the saves spaced 0.15-0.45 s apart (random). The time of a
save is taken by an ``on_commit`` hook registered before the save's own (so: the commit), the time
it reached Mailchimp is the end of the first successful member write for that address that
started after it, from the emulator's request log (both wall clock, one machine). At the end every
member must hold its last saved name. Then a burst: 10 saves of one contact, ~0.1 s apart, must
make one member write (the quiet period, ``SHUUP_MAILCHIMP_TASK_COUNTDOWN``).
"""
import hashlib
import os
import random
import statistics
import time

from _scenario import Scenario  # noqa: I100
from _celery import Harness, unsettled, wait_until  # noqa: I100

MEMBER_WRITES = ("PUT", "PATCH", "POST")


def percentile(values, p):
    values = sorted(values)
    if not values:
        return None
    index = min(len(values) - 1, max(0, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[index]


def member_hash(email):
    return hashlib.md5(email.lower().encode()).hexdigest()


def member_writes(entries, email, after=0.0):
    """Successful writes of this member (not its tags) that started after ``after``, by start time."""
    digest = member_hash(email)
    return sorted((e for e in entries if e["resource"] == "lists/members" and e["id"] == digest
                   and e["method"] in MEMBER_WRITES and e["status"] and 200 <= e["status"] < 300
                   and e["start"] >= after), key=lambda e: e["start"])


def main():
    scenario = Scenario("latency", "Latency: save -> Mailchimp with a real Celery worker (quiet period)")
    saves = 200 if scenario.long else 60
    rng = random.Random(13)
    harness = Harness(scenario)
    redis = harness.redis()
    emulator = harness.emulator(latency=0.1)
    # RELIABILITY_BROKER_URL (e.g. amqp://guest:guest@127.0.0.1:5672//) runs it on another broker,
    # RabbitMQ say; the private Redis still holds the shared connection slots.
    broker = os.environ.get("RELIABILITY_BROKER_URL") or redis.url
    if broker != redis.url:
        scenario.note("Broker: %s (RELIABILITY_BROKER_URL); the private Redis holds the connection slots."
                      % broker.split("@")[-1])
    scenario.figure("broker", broker.split(":")[0], "broker")
    harness.prepare(broker, emulator, {"SHUUP_MAILCHIMP_SLOTS_REDIS_URL": redis.url})
    worker = harness.worker("worker", concurrency=2, wait=False)  # starts while Django sets up here
    harness.setup_django()
    from django.conf import settings
    from django.db import transaction
    from shuup.core.models import PersonContact

    shop, _ = harness.enabled_shop(emulator)
    scenario.note("One Celery worker (prefork -c 2, no beat) on a private Redis broker, emulator process at 0.1 s "
                  "per request, throwaway PostgreSQL; SHUUP_MAILCHIMP_TASK_COUNTDOWN = %s s (the quiet period). "
                  "Save time: an on_commit hook registered before the save's own; arrival: end of the first "
                  "successful member write started after it (emulator request log)."
                  % settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN)
    worker.wait_ready()

    contacts = []
    for n in range(saves):
        contact = PersonContact.objects.create(first_name="Lat%d" % n, last_name="Initial",
                                               email="lat%d@mailbox.org" % n, marketing_permission=True)
        contact.add_to_shop(shop)
        contacts.append(contact)
    burst_contact = PersonContact.objects.create(first_name="Burst", last_name="Initial", email="burst@mailbox.org",
                                                 marketing_permission=True)
    burst_contact.add_to_shop(shop)
    synced = wait_until(lambda: unsettled() == 0, 120, 0.5)
    scenario.check("initial sync done", synced, unsettled(), "0 pending")

    mark = emulator.requests()["next"]
    committed = {}
    for n, contact in enumerate(contacts):
        time.sleep(rng.uniform(0.15, 0.45))
        with transaction.atomic():
            transaction.on_commit(lambda email=contact.email: committed.__setitem__(email, time.time()))
            contact.last_name = "Saved%d" % n
            contact.save()
    wait_until(lambda: unsettled() == 0, 60, 0.2)
    time.sleep(1.0)
    entries = emulator.requests(since=mark)["requests"]
    latencies, missing = [], []
    for contact in contacts:
        writes = member_writes(entries, contact.email, after=committed[contact.email])
        if writes:
            latencies.append(writes[0]["end"] - committed[contact.email])
        else:
            missing.append(contact.email)
    stale = [c.email for c in contacts
             if ((emulator.member(c.email, fields="merge_fields") or {}).get("merge_fields") or {}).get("LNAME")
             != c.last_name]
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    scenario.figure("saves", len(contacts), "contact saves, each in its own transaction")
    scenario.figure("p50", round(p50, 3), "save commit -> member written, p50 (s)")
    scenario.figure("p95", round(p95, 3), "p95 (s)")
    scenario.figure("p99", round(p99, 3), "p99 (s)")
    scenario.figure("max", round(max(latencies), 3), "max (s)")
    scenario.figure("mean", round(statistics.mean(latencies), 3), "mean (s)")
    scenario.check("every save reached Mailchimp", not missing and not stale, len(missing) + len(stale), "0")
    scenario.check("p95 save -> Mailchimp", p95 <= 1.0, round(p95, 3), "<= 1 s")

    # A burst: 10 saves of one contact ~0.1 s apart is one member write with the last data.
    mark = emulator.requests()["next"]
    started = time.time()
    for n in range(10):
        with transaction.atomic():
            burst_contact.last_name = "Burst%d" % n
            burst_contact.save()
        time.sleep(0.1)
    wait_until(lambda: unsettled() == 0, 30, 0.2)
    time.sleep(1.5)  # a second write, if any, would come within the quiet period
    writes = member_writes(emulator.requests(since=mark)["requests"], burst_contact.email, after=started)
    last = (emulator.member(burst_contact.email, fields="merge_fields") or {}).get("merge_fields", {}).get("LNAME")
    scenario.figure("burst_writes", len(writes), "member writes for a burst of 10 saves in 1 s")
    scenario.check("burst of 10 saves is one member write", len(writes) == 1, len(writes), "1")
    scenario.check("burst's last data in Mailchimp", last == "Burst9", last, "Burst9")

    scenario.dump_database()
    harness.close()
    return scenario.finish()


if __name__ == "__main__":
    raise SystemExit(main())
