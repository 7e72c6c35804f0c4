"""Send what is due for a shop, with a progress bar and a closing summary; non-zero exit if anything failed."""
from django.core.management.base import CommandError
from tqdm import tqdm

from shuup_mailchimp.management.commands._base import ShopCommand
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.backfill import record_everything
from shuup_mailchimp.sync.processing import process_due


class Command(ShopCommand):
    help = "Process a shop's due Mailchimp sync items (and optionally resend failed ones or everything)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--failed", action="store_true", help="Resend the failed items too.")
        parser.add_argument("--all", action="store_true", help="Queue every contact, group and order of the shop.")
        parser.add_argument("--limit", type=int, default=None, help="Process at most this many items.")
        parser.add_argument("--dry-run", action="store_true", help="Only tell what is due.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
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
        flush = not options["keep_backoff"]
        if options["dry_run"]:
            due = outbox.due_items(shop_id=shop_id).count()
            waiting, first = outbox.waiting(shop_id)
            failed = outbox.MailchimpSyncItem.objects.filter(shop_id=shop_id, status=outbox.SyncStatus.FAILED).count()
            self.stdout.write("Due now: %d; waiting for their next attempt: %d%s; failed (resend with --failed): %d" % (
                due, waiting, " (the first at %s)" % first.isoformat() if first else "", failed))
            return
        if options["all"]:
            counts = record_everything(shop_id)
            self.stdout.write("Queued %(groups)d contact groups, %(contacts)d contacts, %(products)d products, %(orders)d orders." % counts)
        if options["failed"]:
            self.stdout.write("Resending %d failed items." % outbox.requeue_failed(shop_id=shop_id))
        total = outbox.due_items(shop_id=shop_id, ignore_backoff=flush).count()
        if options["limit"]:
            total = min(total, options["limit"])
        bar = tqdm(total=total, unit="item", disable=options["no_progress"] or total == 0, file=self.stderr)
        summary = process_due(shop_id=shop_id, limit=options["limit"], progress=lambda item: bar.update(1),
                              ignore_backoff=flush)
        bar.close()
        self.stdout.write("Summary: %s." % summary)
        for error in summary.errors[:20]:
            self.stdout.write("  " + error)
        if summary.failed:
            raise CommandError("%d items failed; see `mailchimp_status --shop %s`." % (summary.failed, shop_id))
