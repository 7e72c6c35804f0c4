"""Shared pieces of the mailchimp_* commands: the --shop option and its lookup.

``--shop 0`` lists the shops with their Mailchimp state and exits 0, whatever the command.
"""
from django.core.management.base import BaseCommand, CommandError
from shuup.core.models import Shop

from shuup_mailchimp.models import MailchimpShopSettings


class _ShopsListed(Exception):
    """``--shop 0``: the list was printed; the command ends here, successfully."""


class ShopCommand(BaseCommand):
    shop_required = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--shop", type=int, required=self.shop_required,
            help="Shuup shop id; --shop 0 lists the shops and their Mailchimp state.",
        )

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except _ShopsListed:
            return ""

    def list_shops(self):
        rows = list(Shop.objects.order_by("pk"))
        settings = {s.shop_id: s for s in MailchimpShopSettings.objects.all()}
        if not rows:
            self.stdout.write("No shops.")
        for shop in rows:
            s = settings.get(shop.pk)
            if s is None or not s.is_configured:
                state = "Mailchimp not configured"
            else:
                state = "syncing %s, audience %s, store %s" % (
                    "on" if s.enabled else "off", s.audience_id, s.store_id or "not initialized")
            name = shop.safe_translation_getter("name", any_language=True)
            self.stdout.write("%4d  %-30s %s" % (shop.pk, name, state))

    def shop_settings(self, shop_id) -> MailchimpShopSettings:
        if shop_id == 0:
            self.list_shops()
            raise _ShopsListed()
        shop = Shop.objects.filter(pk=shop_id).first()
        if shop is None:
            known = ", ".join("%s (%s)" % (s.pk, s.safe_translation_getter("name", any_language=True))
                              for s in Shop.objects.all())
            raise CommandError("No shop with id %s. Shops: %s" % (shop_id, known or "none"))
        return MailchimpShopSettings.for_shop(shop)
