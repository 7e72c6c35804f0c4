"""Register, check or remove the shop's Mailchimp webhook; replay stored webhooks."""
from django.core.management.base import CommandError

from shuup_mailchimp.client import client_for
from shuup_mailchimp.enums import WebhookStatus
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.management.commands._base import ShopCommand
from shuup_mailchimp.models import MailchimpWebhookEvent
from shuup_mailchimp.sync import inbound, webhook_setup


class Command(ShopCommand):
    help = "Manage the Mailchimp webhook of a shop (Mailchimp -> Shuup): --register, --check, --remove, --replay."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--register", action="store_true", help="Create the audience webhook (if missing).")
        group.add_argument("--check", action="store_true", help="Say whether it is registered (the default).")
        group.add_argument("--remove", action="store_true", help="Delete the shop's webhook from the audience.")
        group.add_argument("--replay", action="store_true",
                           help="Apply received and failed webhooks again (stored raw; idempotent).")

    def handle(self, *args, **options):
        shop_settings = self.shop_settings(options["shop"])
        if options["replay"]:
            return self._replay(shop_settings.shop_id)
        if not shop_settings.is_configured:
            raise CommandError("Shop %s has no API key / audience: run mailchimp_configure first." % shop_settings.shop_id)
        client = client_for(shop_settings)
        try:
            if options["register"]:
                report = webhook_setup.register(client, shop_settings)
                self.stdout.write("Webhook registered: %s" % report.url)
            elif options["remove"]:
                self.stdout.write("Removed %d webhook(s)." % webhook_setup.remove(client, shop_settings))
            else:
                report = webhook_setup.check(client, shop_settings)
                self.stdout.write("Webhook URL: %s" % (report.url or "(none: no public address)"))
                self.stdout.write("Registered on audience %s: %s" % (shop_settings.audience_id,
                                                                     "yes" if report.registered else "no"))
                if report.problem:
                    self.stdout.write(report.problem)
        except webhook_setup.WebhookURLError as exc:
            raise CommandError(str(exc))
        except MailchimpError as exc:
            raise CommandError("Mailchimp: %s" % exc.describe())

    def _replay(self, shop_id):
        events = MailchimpWebhookEvent.objects.filter(shop_id=shop_id, status=WebhookStatus.FAILED)
        count = events.update(status=WebhookStatus.RECEIVED, error="")
        counts = inbound.process_received(shop_id)
        self.stdout.write("Replayed %d failed webhook(s); processed: %s" % (
            count, ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items())) or "none"))
        if counts.get("failed"):
            raise CommandError("%d webhook(s) failed again; see their error in the admin." % counts["failed"])
