"""Housekeeping: the log table must not grow forever."""
from datetime import timedelta

from django.utils import timezone

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.models import MailchimpLogEntry


def delete_old_log_entries(days=None, shop_id=None) -> int:
    """Delete log rows older than ``days`` (default ``SHUUP_MAILCHIMP_LOG_RETENTION_DAYS``). Returns the count."""
    days = app_settings.LOG_RETENTION_DAYS if days is None else days
    if days is None:
        return 0
    qs = MailchimpLogEntry.objects.filter(created_on__lt=timezone.now() - timedelta(days=float(days)))
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    count, _ = qs.delete()
    return count
