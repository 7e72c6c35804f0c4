"""``mailchimp_import_campaigns --shop ID [--since DATE] [--refresh]``: the audience's campaigns and
their reports into the shop's campaign rows (what the daily task does for every enabled shop)."""
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.management.commands._base import ShopCommand
from shuup_mailchimp.sync.campaigns import import_campaigns


def parse_since(value):
    """``2024-05-01`` (midnight UTC) or an ISO date-time; ``None`` for no value."""
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError("--since takes a date (2024-05-01) or a date-time (2024-05-01T12:00:00+00:00), "
                               "not %r." % value)
        moment = datetime(day.year, day.month, day.day)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.utc)
    return moment


class Command(ShopCommand):
    help = ("Import the campaigns of the shop's Mailchimp audience with their reports (opens, clicks, "
            "unsubscribes, bounces, eCommerce orders and revenue). Re-imports update in place; reports of "
            "campaigns sent in the last SHUUP_MAILCHIMP_CAMPAIGN_REPORT_DAYS days are read again.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--since", help="Only campaigns sent since this date (YYYY-MM-DD) or date-time.")
        parser.add_argument("--refresh", action="store_true",
                            help="Read every report again, also those already final.")

    def handle(self, *args, **options):
        shop_settings = self.shop_settings(options["shop"])
        since = parse_since(options.get("since"))
        try:
            summary = import_campaigns(shop_settings, since=since, refresh_all=options["refresh"])
        except (MailchimpError, ImproperlyConfigured) as exc:
            describe = getattr(exc, "describe", None)
            raise CommandError("Campaign import failed: %s" % (describe() if describe else exc))
        self.stdout.write("Shop %s: %s." % (shop_settings.shop_id, summary))
        if summary.errors:
            raise CommandError("%d report(s) could not be read; the next import tries them again." % len(
                summary.errors))
