"""Send what is due for a shop, with a progress bar and a closing summary; non-zero exit if anything failed.

The progress bar is drawn only on a terminal (a log file gets the summary alone). The summary
says what was sent, what failed, and what still waits for its next attempt and when that is.
"""
from django.core.management.base import CommandError
from django.utils import timezone
from tqdm import tqdm

from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.management.commands import _full_sync
from shuup_mailchimp.management.commands._base import ShopCommand
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.processing import process_due


class Command(ShopCommand):
    help = "Process a shop's due Mailchimp sync items (and optionally resend failed ones or everything)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--failed", action="store_true", help="Resend the failed items too.")
        parser.add_argument("--all", action="store_true", help="Alias of --full (it used to queue everything).")
        _full_sync.add_arguments(parser)
        parser.add_argument("--limit", type=int, default=None, help="Process at most this many items.")
        parser.add_argument("--dry-run", action="store_true", help="Only tell what is due.")
        parser.add_argument("--no-progress", action="store_true",
                            help="No progress bar (there is none anyway when stderr is not a terminal).")
        parser.add_argument(
            "--keep-backoff", action="store_true",
            help="Only items whose next attempt is due (as the periodic task does). By default every pending "
            "item is sent now, including those waiting after a Mailchimp outage.",
        )

    def handle(self, *args, **options):
        shop_settings = self.shop_settings(options["shop"])
        shop_id = shop_settings.shop_id
        if not shop_settings.is_active:
            raise CommandError(
                "Shop %s is not enabled or lacks an API key / audience: run mailchimp_configure first." % shop_id
            )
        if options["full"] or options["all"]:
            return _full_sync.handle(self, shop_settings, options)
        _full_sync.recover(shop_id)  # a full sync that died must not leave the store's automations off
        flush = not options["keep_backoff"]
        if options["dry_run"]:
            due = outbox.due_items(shop_id=shop_id).count()
            waiting, first = outbox.waiting(shop_id)
            failed = outbox.MailchimpSyncItem.objects.filter(shop_id=shop_id, status=outbox.SyncStatus.FAILED).count()
            self.stdout.write("Due now: %d; waiting for their next attempt: %d%s; failed (resend with --failed): %d" % (
                due, waiting, " (the first at %s)" % when(first) if first else "", failed))
            return
        if options["failed"]:
            self.stdout.write("Resending %d failed items." % outbox.requeue_failed(shop_id=shop_id))
        total = outbox.due_items(shop_id=shop_id, ignore_backoff=flush).count()
        if options["limit"]:
            total = min(total, options["limit"])
        on_terminal = hasattr(self.stderr, "isatty") and self.stderr.isatty()
        bar = tqdm(total=total, unit="item", disable=options["no_progress"] or total == 0 or not on_terminal,
                   file=self.stderr)
        summary = process_due(shop_id=shop_id, limit=options["limit"], progress=lambda item: bar.update(1),
                              ignore_backoff=flush)
        bar.close()
        for line in summary_lines(summary, shop_id):
            self.stdout.write(line)
        if summary.failed:
            raise CommandError("%d items failed; see above, the admin's Mailchimp dashboard, or "
                               "`mailchimp_status --shop %s`; resend them with `mailchimp_sync --shop %s --failed`."
                               % (summary.failed, shop_id, shop_id))


def when(moment):
    """"2026-11-30 11:10:00 UTC (in 4 min)" in the server's time zone."""
    local = timezone.localtime(moment)
    seconds = (moment - timezone.now()).total_seconds()
    if seconds <= 0:
        relative = "now"
    elif seconds < 90:
        relative = "in %d s" % seconds
    elif seconds < 5400:
        relative = "in %d min" % round(seconds / 60)
    else:
        relative = "in %.1f h" % (seconds / 3600)
    return "%s (%s)" % (local.strftime("%Y-%m-%d %H:%M:%S %Z"), relative)


def _kind_words(line):
    """"interest #3: ..." -> "contact group #3: ...": the admin's word for the kind."""
    for kind in SyncKind:
        prefix = "%s #" % kind.value
        if line.startswith(prefix):
            return "%s #%s" % (kind.label, line[len(prefix):])
    return line


def summary_lines(summary, shop_id):
    if not summary.total:
        lines = ["Summary: nothing was due."]
    else:
        lines = ["Summary: %d synced, %d unchanged (already up to date), %d retrying later, %d failed." % (
            summary.synced, summary.skipped, summary.retrying, summary.failed)]
    if summary.webhooks:  # received from Mailchimp and applied to Shuup first (sync.inbound)
        lines.append("Webhooks from Mailchimp: %s." % ", ".join(
            "%d %s" % (n, outcome) for outcome, n in sorted(summary.webhooks.items())))
    for error in summary.errors[:20]:
        lines.append("  " + _kind_words(error))
    if len(summary.errors) > 20:
        lines.append("  ... and %d more (the admin's sync item list has them all)." % (len(summary.errors) - 20))
    if summary.waiting:
        lines.append("%d waiting for their next attempt after a Mailchimp error; the first is due at %s. They are "
                     "sent by the next run after that (the periodic task, or this command again)."
                     % (summary.waiting, when(summary.next_attempt_at)))
    return lines
