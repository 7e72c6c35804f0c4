from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.management.commands._base import ShopCommand
from shuup_mailchimp.sync.store import initialize_store


class Command(ShopCommand):
    help = "Create (or safely reuse) the shop's Mailchimp eCommerce store and its 'Contact Group' interests."

    def handle(self, *args, **options):
        shop_settings = self.shop_settings(options["shop"])
        try:
            summary = initialize_store(shop_settings)
        except (MailchimpError, ImproperlyConfigured) as exc:
            describe = getattr(exc, "describe", None)
            raise CommandError("Initialize store failed: %s" % (describe() if describe else exc))
        self.stdout.write(
            "Store %(store_id)s %(store_action)s on audience %(audience_id)s; "
            "category %(category_id)s with %(interests)d contact group interests." % summary
        )
        webhook = summary["webhook"]  # not str.capitalize(): it lowercases Mailchimp's message and the URL
        self.stdout.write(webhook[:1].upper() + webhook[1:] + ".")
