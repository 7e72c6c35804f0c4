"""Check a shop's Mailchimp connection and say, in words, what is wrong and what to do."""
from django.core.management.base import CommandError

from shuup_mailchimp.admin_module.explain import explain_report
from shuup_mailchimp.management.commands._base import ShopCommand
from shuup_mailchimp.sync.connection import check_connection


class Command(ShopCommand):
    help = ("Check a shop's Mailchimp connection: API key, data centre and audience. Exit code 0 when all is well. "
            "With -v 2 also the technical detail of a failure.")

    def handle(self, *args, **options):
        from shuup_mailchimp.client import api_base_url

        shop_settings = self.shop_settings(options["shop"])
        report = check_connection(shop_settings)
        base = api_base_url(shop_settings.api_key) if shop_settings.api_key else ""
        self.stdout.write("Mailchimp API: %s" % (base or "(no key: the address depends on the key's data centre)"))
        for line in explain_report(report, base):
            self.stdout.write(line)
        if not report.ok and options["verbosity"] >= 2:
            self.stdout.write("Technical detail: %s" % report.problem)
        if not report.ok:
            raise CommandError("Connection check failed.")
