"""``mailchimp_demo_campaigns --shop ID``: the demo's two campaigns with reports, a few attributed orders
and a tag, in the emulator (``shuup_mailchimp.testing.demo_campaigns``; ``mailchimp_demo`` runs it)."""
from django.core.management.base import BaseCommand, CommandError
from shuup.core.models import Shop

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.testing.demo_campaigns import seed_demo_campaigns


class Command(BaseCommand):
    help = "Seed two campaigns with reports into the emulator, attribute a few orders, keep a tag, import them."

    def add_arguments(self, parser):
        parser.add_argument("--shop", type=int, required=True)

    def handle(self, *args, **options):
        shop = Shop.objects.filter(pk=options["shop"]).first()
        if shop is None:
            raise CommandError("No shop with id %s." % options["shop"])
        seed_demo_campaigns(shop, app_settings.API_URL or "", stdout=self.stdout)
