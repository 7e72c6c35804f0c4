"""``mailchimp_sync --full``: the full sync from the command line (see ``sync/fullsync``).

One progress bar per phase on a terminal; elsewhere (cron, a log file) a plain line every few
seconds. A closing summary with the counts per kind and the failures; exit status 1 when any
item failed.
"""
import time

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from shuup_mailchimp.sync import fullsync
from shuup_mailchimp.sync.fullsync.runs import KINDS, kind_counts
from shuup_mailchimp.sync.fullsync.runs import progress as run_progress

#: Seconds between two plain progress lines when stderr is not a terminal.
LINE_EVERY = 5.0
PHASE_KIND = {"contacts": "contact", "products": "product", "orders": "order"}


def add_arguments(parser):
    parser.add_argument("--full", action="store_true",
                        help="Send everything the shop has (contacts, products, order history) through Mailchimp "
                             "batch operations; continues an interrupted full sync. --all is an alias.")
    parser.add_argument("--since", default=None, metavar="DATE",
                        help="With --full: only orders placed on or after DATE (YYYY-MM-DD); contacts and products "
                             "are always sent whole.")


def parse_since(value):
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError("--since expects a date such as 2024-01-31, got %r." % value)
        moment = timezone.datetime(day.year, day.month, day.day)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Progress(fullsync.Reporter):
    """Bars per phase on a terminal, a line every few seconds otherwise."""

    def __init__(self, stream, tty: bool, quiet: bool = False):
        self.stream, self.tty, self.quiet = stream, tty, quiet
        self.bars = {}
        self.last_line = 0.0

    def phase(self, run, name):
        if self.quiet:
            return
        if not self.tty:
            self.stream.write("Full sync #%s: %s\n" % (run.pk, name))
        elif name in PHASE_KIND:
            self._bar(run, PHASE_KIND[name])

    def _bar(self, run, kind_value):
        from tqdm import tqdm

        if kind_value not in self.bars:
            kind = next(k for k in KINDS if k.value == kind_value)
            counts = kind_counts(run, kind)
            self.bars[kind_value] = tqdm(total=counts["total"] or None, desc="%-9s" % ("%ss" % kind.value),
                                         unit="rec", file=self.stream, position=len(self.bars), leave=True)
        return self.bars[kind_value]

    def progress(self, run):
        if self.quiet:
            return
        if self.tty:
            for kind_value, bar in self.bars.items():
                counts = kind_counts(run, next(k for k in KINDS if k.value == kind_value))
                bar.total = counts["total"] or bar.total
                bar.n = min(counts["done"], counts["total"] or counts["done"])
                bar.set_postfix(sent=counts["sent"], failed=counts["failed"], refresh=False)
                bar.refresh()
            return
        now = time.monotonic()
        if now - self.last_line >= LINE_EVERY:
            self.last_line = now
            data = run_progress(run)
            parts = ["%s %d/%d" % (k["kind"] + "s", k["done"], k["total"]) for k in data["kinds"]]
            self.stream.write("Full sync #%s %s: %s; %d failed; %d requests; %.0f s\n" % (
                run.pk, run.phase, ", ".join(parts), data["failed"], data["requests"], data["elapsed_seconds"]))
            self.stream.flush()

    def close(self):
        for bar in self.bars.values():
            bar.close()


def recover(shop_id):
    """A full sync whose process died is marked interrupted and the store's ``is_syncing`` set back."""
    fullsync.recover_stale(shop_id)


def handle(command, shop_settings, options):
    shop_id = shop_settings.shop_id
    since = parse_since(options.get("since"))
    if options.get("failed") and not options["dry_run"]:
        from shuup_mailchimp.sync import outbox

        command.stdout.write("Resending %d failed items." % outbox.requeue_failed(shop_id=shop_id))
    if options["dry_run"]:
        report = fullsync.plan_only(shop_id, since)
        for kind in KINDS:
            counts = report.get(kind.value, {})
            command.stdout.write(
                "%-9s would send %d (%d operations); unchanged %d, skipped %d, busy %d, one by one %d" % (
                    kind.value + "s", counts.get("send", 0), counts.get("operations", 0), counts.get("unchanged", 0),
                    counts.get("skipped", 0), counts.get("busy", 0), counts.get("per_record", 0)))
        return
    stream = command.stderr
    tty = hasattr(stream, "isatty") and stream.isatty() and not options.get("no_progress")
    reporter = Progress(stream, tty, quiet=bool(options.get("no_progress")))
    try:
        run = fullsync.run_full_sync(shop_id, requested_by="command", since=since, reporter=reporter)
    except fullsync.FullSyncBusy as exc:
        raise CommandError(str(exc))
    except KeyboardInterrupt:
        reporter.close()
        raise CommandError("Interrupted; run the same command again to continue where it stopped.")
    except Exception as exc:
        reporter.close()
        describe = getattr(exc, "describe", None)
        raise CommandError("The full sync stopped: %s. Run the same command again to continue where it stopped."
                           % (describe() if describe else exc))
    reporter.close()
    for line in summary_lines(run):
        command.stdout.write(line)
    failed = sum(kind_counts(run, kind)["failed"] for kind in KINDS)
    if failed:
        raise CommandError("%d items failed; see above, the admin's Mailchimp pages, or `mailchimp_status --shop %s`; "
                           "resend them with `mailchimp_sync --shop %s --failed`." % (failed, shop_id, shop_id))


def summary_lines(run):
    data = run_progress(run)
    lines = ["Full sync #%s %s in %.1f s (%d requests to Mailchimp):" % (
        run.pk, data["status"], data["elapsed_seconds"], data["requests"])]
    for k in data["kinds"]:
        lines.append("  %-9s %6d in the shop: %d sent, %d synced, %d unchanged, %d skipped, %d failed, "
                     "%d retrying later, %d sent one by one, %d left to another worker" % (
                         k["kind"] + "s", k["total"], k["sent"], k["synced"], k["unchanged"], k["skipped"],
                         k["failed"], k["retrying"], k["per_record"], k["busy"]))
    for failure in data["failures"][:20]:
        lines.append("  %s #%s: %s%s" % (failure["kind"], failure["object_id"], failure["error"],
                                         "" if failure.get("final") else " (retried later)"))
    if len(data["failures"]) > 20:
        lines.append("  ... and %d more (the admin's sync item list has them all)." % (len(data["failures"]) - 20))
    return lines
