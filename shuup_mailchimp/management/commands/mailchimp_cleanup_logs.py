from django.core.management.base import BaseCommand

from shuup_mailchimp.sync.maintenance import delete_old_log_entries


class Command(BaseCommand):
    help = "Delete Mailchimp log rows older than SHUUP_MAILCHIMP_LOG_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=float, default=None)
        parser.add_argument("--shop", type=int, default=None)

    def handle(self, *args, **options):
        count = delete_old_log_entries(days=options["days"], shop_id=options["shop"])
        self.stdout.write("Deleted %d log entries." % count)
