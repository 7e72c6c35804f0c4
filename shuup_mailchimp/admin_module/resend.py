"""Resend failed outbox items from the admin: requeue them, then send them after commit."""
from django.db import transaction

from shuup_mailchimp import tasks
from shuup_mailchimp.call_log import log_process
from shuup_mailchimp.enums import SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync.outbox import requeue_failed


def resend_failed_items(shop_id, ids=None) -> int:
    """Requeue the shop's failed items (all, or those of ``ids``) and schedule them. Returns the count.

    Items of ``ids`` that are not failed are left alone: pending ones are on their way and
    synced ones have nothing new to send.
    """
    failed = MailchimpSyncItem.objects.filter(shop_id=shop_id, status=SyncStatus.FAILED)
    if ids is not None:
        failed = failed.filter(pk__in=list(ids))
    item_ids = list(failed.values_list("pk", flat=True))
    if not item_ids:
        return 0
    count = requeue_failed(shop_id=shop_id, ids=item_ids)
    log_process(shop_id, "resend", "%d failed item(s) queued for sending again." % count)
    # After commit, as the receivers do: a worker must see the rows as pending.
    transaction.on_commit(lambda: tasks.schedule(item_ids))
    return count
