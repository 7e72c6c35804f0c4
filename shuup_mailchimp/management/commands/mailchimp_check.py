from django.core.management.base import CommandError

from shuup_mailchimp.management.commands._base import ShopCommand
from shuup_mailchimp.sync.connection import check_connection


class Command(ShopCommand):
    help = "Check a shop's Mailchimp connection: API key, data centre and audience. Exit code 0 when all is well."

    def handle(self, *args, **options):
        report = check_connection(self.shop_settings(options["shop"]))
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("Connection check failed.")
