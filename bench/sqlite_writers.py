"""Contact saves made while the background thread sends, on SQLite: how many fail with "database is
locked", with Django's SQLite backend and with ``shuup_mailchimp.sqlite`` (transactions begun IMMEDIATE).

Each backend runs in a process of its own: 40 contacts, each with an outbox item; the background
thread (no broker, a 0.05 s quiet period) sends them to the emulator (its own process) while the
main thread, as requests would, reads a contact and saves it inside a transaction, every 10 ms,
``--saves`` times. The count of failed saves is the figure; nothing here is timed.

Then, with this backend only, bursts: 10 contacts saved in turn every 5 ms (each again within its
0.3 s quiet period, so most saves only bump the outbox row and schedule nothing, while the thread,
its coalescing cap cut to 0.5 s, takes items between saves), then the queue drains and every contact's first name in the emulator is compared with Shuup's: a save
that bumped without its run coming would show as a stale name.
"""
import argparse
import collections
import subprocess
import sys
import time

CONTACTS = 40


def one_backend(backend, saves):
    from _setup import EmulatorProcess, enabled_shop, setup_django

    setup_django()
    if backend == "django":  # Django's own "BEGIN" (deferred), as with ENGINE django.db.backends.sqlite3
        from django.db.backends.sqlite3.base import DatabaseWrapper as Django

        from shuup_mailchimp.sqlite.base import DatabaseWrapper as Immediate

        Immediate._start_transaction_under_autocommit = Django._start_transaction_under_autocommit
    from django.conf import settings
    from django.db import OperationalError, transaction
    from shuup.core.models import PersonContact

    from shuup_mailchimp import runner
    from shuup_mailchimp.enums import SyncKind
    from shuup_mailchimp.models import MailchimpLogEntry
    from shuup_mailchimp.sync import outbox

    server = EmulatorProcess()
    shop, _ = enabled_shop(server)
    settings.SHUUP_MAILCHIMP_DISPATCH = "background"
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0.05
    contact_ids = []
    with outbox.recording_suppressed():
        for k in range(CONTACTS):
            contact = PersonContact.objects.create(first_name="Lock", last_name="Test%d" % k,
                                                   email="lock%d@mailbox.org" % k, marketing_permission=True)
            contact.add_to_shop(shop)
            contact_ids.append(contact.pk)
    for contact_id in contact_ids:
        outbox.record([shop.pk], SyncKind.CONTACT, contact_id)
    runner.wake()
    failed, started = collections.Counter(), time.monotonic()
    for n in range(saves):
        try:
            with transaction.atomic():
                contact = PersonContact.objects.get(pk=contact_ids[n % CONTACTS])  # read, then write
                contact.first_name = "Lock%d" % n
                contact.save()
        except OperationalError as error:
            failed[str(error)] += 1
        time.sleep(0.01)
    elapsed = time.monotonic() - started
    writes = MailchimpLogEntry.objects.exclude(method__in=["", "GET"]).count()
    stale = bumped = "-"
    if backend == "immediate":
        stale, bumped = bursts(server, shop, contact_ids[:10], saves)
    runner.shutdown()
    server.stop()
    print("RESULT backend=%s saves=%d failed=%d writes=%d stale=%s bumped=%s seconds=%.1f errors=%s" % (
        backend, saves, sum(failed.values()), writes, stale, bumped, elapsed, dict(failed)))


def bursts(server, shop, contact_ids, saves):
    """Save the contacts in turn every 5 ms, let the queue drain; return (stale names, saves that only bumped)."""
    import hashlib

    import requests
    from _setup import API_KEY
    from django.conf import settings
    from django.db import transaction
    from shuup.core.models import PersonContact

    from shuup_mailchimp.models import MailchimpSyncItem
    from shuup_mailchimp.sync import outbox

    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0.3
    settings.SHUUP_MAILCHIMP_MAX_COALESCE_DELAY = 0.5  # the thread sends mid-burst: items are claimed between saves
    real, bumped = outbox.bump_if_run_coming, []

    def counted(*args):
        done = real(*args)
        bumped.append(done)
        return done

    outbox.bump_if_run_coming = counted
    for n in range(saves):
        with transaction.atomic():
            contact = PersonContact.objects.get(pk=contact_ids[n % len(contact_ids)])
            contact.first_name = "Burst%d" % n
            contact.save()
        time.sleep(0.005)
    outbox.bump_if_run_coming = real
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and MailchimpSyncItem.objects.filter(
            kind="contact", object_id__in=contact_ids).exclude(status="synced").exists():
        time.sleep(0.2)
    stale = 0
    for contact in PersonContact.objects.filter(pk__in=contact_ids):
        member = requests.get("%s/3.0/lists/%s/members/%s" % (
            server.url, server.list_id, hashlib.md5(contact.email.lower().encode()).hexdigest()),
            auth=("bench", API_KEY), timeout=10).json()
        stale += member.get("merge_fields", {}).get("FNAME") != contact.first_name
    return stale, sum(bumped)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saves", type=int, default=600)
    parser.add_argument("--backend", choices=["django", "immediate"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        one_backend(args.backend, args.saves)
        return 0
    results = {}
    for backend in ("django", "immediate"):
        out = subprocess.run([sys.executable, __file__, "--backend", backend, "--saves", str(args.saves)],
                             capture_output=True, text=True)
        line = [row for row in out.stdout.splitlines() if row.startswith("RESULT ")]
        if out.returncode or not line:
            print(out.stdout[-2000:], out.stderr[-3000:])
            return 1
        results[backend] = dict(field.split("=", 1) for field in line[0].split()[1:7])
    for backend, label in (("django", "Django's SQLite backend"), ("immediate", "shuup_mailchimp.sqlite")):
        r = results[backend]
        print("%s: %s of %s contact saves failed with \"database is locked\" while the background thread "
              "sent (%s API writes meanwhile)" % (label, r["failed"], r["saves"], r["writes"]))
    r = results["immediate"]
    print("bursts (shuup_mailchimp.sqlite): %s saves of 10 contacts, %s of them only bumped the outbox row; "
          "contacts whose name in Mailchimp is not Shuup's once the queue drained: %s" % (
              r["saves"], r["bumped"], r["stale"]))
    print("FAILED_SAVES django=%s immediate=%s (target: immediate = 0)" % (
        results["django"]["failed"], results["immediate"]["failed"]))
    print("STALE_AFTER_BURSTS = %s (target 0)" % r["stale"])
    return 0 if r["failed"] == "0" and r["stale"] == "0" else 1


if __name__ == "__main__":
    sys.exit(main())
