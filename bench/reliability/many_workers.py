"""Many workers, one outbox: 1, 2 and 4 Celery worker processes drain it on PostgreSQL.

A private Redis (the broker, and the connection slots all workers share), the emulator as a
server process answering each request after a latency like Mailchimp's (0.1 s; 0.05 s in short
mode, to fit CI), a throwaway PostgreSQL database. The data (contacts, orders, products) is made
with ``bulk_create`` in three equal sets, one per run; enabling the shop records everything (the
new store's backfill), the items of the three sets are then removed, the rest (products, groups) is
sent first (a warm-up, not measured), and each set is recorded again (``outbox.record``) just
before its run: ~2/3 contacts (a member and a customer each), ~1/3 orders.

All workers start at the beginning (``celery worker -P prefork -c 4`` each), each run's on its
own queue (``-Q run<N>``, and the drains they fan out go there too), so they stay idle until their
run and their start-up is not measured. Each run enqueues one
``shuup_mailchimp.process_due`` and lets the addon fan it out (``SHUUP_MAILCHIMP_PARALLEL_DRAINS`` =
4 x workers, at most 10: Mailchimp's 10 connections per key are the ceiling), then waits until
every item is synced; meanwhile the script enqueues a ``process_due`` every 5 s on the run's queue,
as beat would (it sends what a drain deferred: an order whose product another drain was sending).
From the emulator's request log of the run: every member, customer and
order written once (no item processed twice), at most 10 requests in flight at any moment across
all workers, no 429. Throughput: items synced / (last write's end - enqueue).
``--items N`` sets the items per run (default 20,000 long, 250 short).
"""
import json
import os
import time
from collections import Counter

from _scenario import Scenario  # noqa: I100
from _celery import Harness, build_shop_data, outbox_counts, record_items, unsettled, wait_until  # noqa: I100

CONCURRENCY = 4
INTERVAL = 5  # beat's process_due (default 60 s): it sends what a drain deferred (an order waiting for its product)
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def main():
    scenario = Scenario("many_workers", "Many workers, one outbox: 1, 2 and 4 Celery workers on PostgreSQL")
    per_run = 20000 if scenario.long else 250
    if "--items" in scenario.extra_args:  # another size, e.g. a long run that must fit a time budget
        per_run = int(scenario.extra_args[scenario.extra_args.index("--items") + 1])
        scenario.note("Measured with --items %d per run." % per_run)
    latency = 0.1 if scenario.long else 0.05
    contacts_per_run, orders_per_run = per_run * 2 // 3, per_run - per_run * 2 // 3
    runs = (1, 2, 4)
    harness = Harness(scenario)
    redis = harness.redis()
    emulator = harness.emulator(latency=latency)
    # RELIABILITY_BROKER_URL (e.g. amqp://guest:guest@127.0.0.1:5672//) runs it on another broker,
    # RabbitMQ say; the private Redis still holds the shared connection slots.
    broker = os.environ.get("RELIABILITY_BROKER_URL") or redis.url
    if broker != redis.url:
        scenario.note("Broker: %s (RELIABILITY_BROKER_URL); the private Redis holds the connection slots."
                      % broker.split("@")[-1])
    scenario.figure("broker", broker.split(":")[0], "broker")
    harness.prepare(broker, emulator, {"SHUUP_MAILCHIMP_PROCESS_INTERVAL": INTERVAL,
                                       "SHUUP_MAILCHIMP_SLOTS_REDIS_URL": redis.url})
    # Every run's workers start now, side by side with the data set (their start-up is not measured);
    # each run's own queue keeps them idle until their run.
    pools = {workers: [harness.worker("w%d-%d" % (workers, n), concurrency=CONCURRENCY, wait=False,
                                      queue="run%d" % workers,
                                      settings={"SHUUP_MAILCHIMP_PARALLEL_DRAINS": min(10, CONCURRENCY * workers)})
                       for n in range(workers)] for workers in runs}
    harness.setup_django()
    from shuup_mailchimp.enums import SyncKind
    from shuup_mailchimp.models import MailchimpSyncItem
    from shuup_mailchimp.tasks import process_due

    started = time.monotonic()
    data = build_shop_data(contacts_per_run * len(runs), orders_per_run * len(runs))
    shop, _ = harness.enabled_shop(emulator)
    scenario.figure("data_s", round(time.monotonic() - started, 1), "data set made and recorded (s)")
    first_contact, first_order = data["first_contact"], data["first_order"]
    # Order n's customer is contact n, so orders_per_run < contacts_per_run keeps each set's orders with its contacts.
    sets = []
    for k in range(len(runs)):
        contacts = list(range(first_contact + k * contacts_per_run, first_contact + (k + 1) * contacts_per_run))
        orders = list(range(first_order + k * orders_per_run, first_order + (k + 1) * orders_per_run))
        sets.append((contacts, orders))
        MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT, object_id__in=contacts).delete()
        MailchimpSyncItem.objects.filter(kind=SyncKind.ORDER, object_id__in=orders).delete()
    # Warm-up, not measured: the products, groups and the generator's template contact and order,
    # so every run drains the same mix (orders then find their products in Mailchimp already).
    for proc in pools[1]:
        proc.wait_ready()
    process_due.apply_async(queue="run1", retry=False)
    wait_until(lambda: unsettled() == 0, 600, 0.25)
    scenario.note("Each worker: celery -P prefork -c %d on its run's own queue (all started before the runs); "
                  "beat's role, a process_due every %d s that sends what a drain deferred (e.g. an order whose "
                  "product another drain was sending), is played by the script on that queue. PARALLEL_DRAINS "
                  "= 4 x workers (max 10), the addon's own fan-out from one enqueued process_due. Emulator latency "
                  "%.2f s per request; private Redis broker and shared slots; throwaway PostgreSQL. The first run "
                  "is preceded by a warm-up (products, groups), not measured."
                  % (CONCURRENCY, INTERVAL, latency))

    throughput = {}
    for k, workers in enumerate(runs):
        contacts, orders = sets[k]
        record_items(SyncKind.CONTACT, contacts, shop.pk)
        record_items(SyncKind.ORDER, orders, shop.pk)
        items = unsettled()
        procs = pools[workers]
        for proc in procs:
            proc.wait_ready()
        mark = emulator.requests()["next"]
        enqueued = time.time()
        queue = "run%d" % workers
        process_due.apply_async(queue=queue, retry=False)
        ticks = [time.monotonic()]

        def beat():  # beat's periodic process_due, on this run's queue
            if time.monotonic() - ticks[0] >= INTERVAL:
                ticks[0] = time.monotonic()
                process_due.apply_async(queue=queue, retry=False)
            return unsettled() == 0

        done = wait_until(beat, 3600, 0.25)
        for proc in procs:
            proc.kill()  # done with them (their logs are kept); a warm shutdown would only cost time
        log = emulator.requests(since=mark)
        entries, summary = log["requests"], log["summary"]
        with open(scenario.artifact("requests-%dw.jsonl" % workers), "w", encoding="utf-8") as out:
            for entry in entries:
                out.write(json.dumps(entry) + "\n")
        writes = Counter((e["method"], e["resource"], e["id"]) for e in entries
                         if e["method"] in WRITES and e["status"] and 200 <= e["status"] < 300)
        # The same write with the same body twice is work done twice; a write of another body is
        # another version of the object (it changed meanwhile: e.g. an order touches its customer).
        same_body = Counter((e["method"], e["resource"], e["id"], e["body"]) for e in entries
                            if e["method"] in WRITES and e["status"] and 200 <= e["status"] < 300)
        twice = {key[:3]: n for key, n in same_body.items() if n > 1}
        versions = sum(1 for n in writes.values() if n > 1)
        members = sum(1 for (m, r, _) in writes if r == "lists/members" and m in ("PUT", "PATCH"))
        orders_sent = sum(1 for (m, r, _) in writes if r == "stores/orders" and m == "POST")
        ends = sorted(e["end"] for e in entries if e.get("end") and e["method"] in WRITES)
        last_end = ends[-1] if ends else enqueued
        rate = items / max(0.001, last_end - enqueued)
        throughput[workers] = rate
        # Without the tail: a drain that finds an item's related object held by another drain defers
        # it (a transient "waiting for") to a later run, so the last few items can wait for beat.
        p95_end = ends[int(0.95 * (len(ends) - 1))] if ends else enqueued
        peak = max(summary["peak_concurrency"].values() or [0])
        label = "%d worker%s" % (workers, "s" if workers > 1 else "")
        scenario.figure("items_%d" % workers, items, "%s: items drained" % label)
        scenario.figure("seconds_%d" % workers, round(last_end - enqueued, 1), "%s: enqueue -> last write (s)" % label)
        scenario.figure("throughput_%d" % workers, round(rate, 1), "%s: throughput (items/s)" % label)
        scenario.figure("throughput95_%d" % workers, round(0.95 * items / max(0.001, p95_end - enqueued), 1),
                        "%s: throughput to the 95th percentile write (items/s; without the deferred tail)" % label)
        scenario.figure("requests_%d" % workers, summary["requests"], "%s: API requests" % label)
        scenario.figure("peak_%d" % workers, peak, "%s: peak requests in flight (all workers)" % label)
        scenario.check("%s: every item synced" % label, done and set(outbox_counts()) == {"synced"}, outbox_counts(),
                       "only synced")
        scenario.figure("new_versions_%d" % workers, versions,
                        "%s: resources written again with another body (a new version)" % label)
        scenario.check("%s: no write repeated with the same body (nothing processed twice)" % label,
                       not twice and members >= len(contacts) and orders_sent >= len(orders),
                       "%d written twice%s; %d members, %d orders" % (
                           len(twice), " (%s)" % ", ".join("%s %s %s x%d" % (k + (n,)) for k, n in
                                                          sorted(twice.items())[:5]) if twice else "",
                           members, orders_sent),
                       "0 twice; >= %d members, >= %d orders" % (len(contacts), len(orders)))
        scenario.check("%s: 10 connections per key hold across workers" % label,
                       peak <= 10 and summary["rate_limited"] == 0,
                       "peak %d, %d answered 429" % (peak, summary["rate_limited"]), "peak <= 10, 0 x 429")
    scenario.check("4 workers beat 1", throughput[4] > throughput[1],
                   "%.1f vs %.1f items/s" % (throughput[4], throughput[1]), "more items/s")

    scenario.dump_database()
    harness.close()
    return scenario.finish()


if __name__ == "__main__":
    raise SystemExit(main())
