"""Shared pieces of the mailchimp_* commands: the --shop option and its lookup."""
from django.core.management.base import BaseCommand, CommandError
from shuup.core.models import Shop

from shuup_mailchimp.models import MailchimpShopSettings


class ShopCommand(BaseCommand):
    shop_required = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--shop", type=int, required=self.shop_required, help="Shuup shop id (see `--shop 0` for a list)."
        )

    def shop_settings(self, shop_id) -> MailchimpShopSettings:
        shop = Shop.objects.filter(pk=shop_id).first()
        if shop is None:
            known = ", ".join("%s (%s)" % (s.pk, s.safe_translation_getter("name", any_language=True)) for s in Shop.objects.all())
            raise CommandError("No shop with id %s. Shops: %s" % (shop_id, known or "none"))
        return MailchimpShopSettings.for_shop(shop)
