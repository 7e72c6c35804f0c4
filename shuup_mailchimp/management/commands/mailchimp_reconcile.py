"""Compare Mailchimp with Shuup for a shop; print the differences by kind; --repair mends them."""
import json

from django.core.management.base import CommandError

from shuup_mailchimp.call_log import log_process
from shuup_mailchimp.client import client_for
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.management.commands._base import ShopCommand
from shuup_mailchimp.sync.reconcile import reconcile


class Command(ShopCommand):
    help = "Find drift between Mailchimp and Shuup (members, customers, products, orders); --repair fixes it."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--repair", action="store_true",
                            help="Send Shuup's version again through the outbox; apply Mailchimp-side opt-outs "
                            "to Shuup as their webhook would.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, **options):
        shop_settings = self.shop_settings(options["shop"])
        if not shop_settings.is_configured:
            raise CommandError("Shop %s has no API key / audience: run mailchimp_configure first." % shop_settings.shop_id)
        try:
            drift = reconcile(client_for(shop_settings), shop_settings, repair=options["repair"])
        except MailchimpError as exc:
            raise CommandError("Mailchimp: %s" % exc.describe())
        log_process(shop_settings.shop_id, "reconcile", "%d difference(s) found in %d requests%s." % (
            drift.total, drift.requests, "; repaired: %s" % drift.repaired if options["repair"] else ""),
            success=not drift.total or options["repair"])
        if options["json"]:
            self.stdout.write(json.dumps(drift.as_dict(), indent=2))
            return
        self.stdout.write("%d difference(s) between Mailchimp and Shuup (%d requests)." % (drift.total, drift.requests))
        for kind, rows in sorted(drift.differences.items()):
            self.stdout.write("%s: %d" % (kind, len(rows)))
            for object_id, text in rows[:20]:
                self.stdout.write("  #%s %s" % (object_id, text))
        if options["repair"]:
            self.stdout.write("Repaired: %s. Run mailchimp_sync --shop %s to send the re-queued items now." % (
                ", ".join("%s %d" % (k, n) for k, n in drift.repaired.items()) or "nothing", shop_settings.shop_id))
        elif drift.total:
            self.stdout.write("Run again with --repair to mend them.")
