"""Bring a related item up to date inside another item's processing (an order needs its
customer and its products in Mailchimp first).

The related item is claimed like any other (so one owner at a time), run through
:func:`~shuup_mailchimp.sync.execution.run_claimed` (so it ends synced, retrying or failed on
its own row), and only then does the caller go on. When it cannot be brought up to date the
caller's item waits too: it raises a transient error when the related one will be retried
(or another worker is sending it right now), and the related item's own error otherwise.
"""
from shuup_mailchimp.exceptions import MailchimpError, MailchimpTransientError
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.execution import run_claimed


def bring_up_to_date(client, shop_settings, kind, object_id: int, handler) -> MailchimpSyncItem:
    """Sync (kind, object_id) now unless unchanged; return its row. Raises when it is not in Mailchimp."""
    item = outbox.claim_related(shop_settings.shop_id, kind, object_id)
    if item is None:
        item = MailchimpSyncItem.objects.get(shop_id=shop_settings.shop_id, kind=kind, object_id=object_id)
        if item.synced_on:
            return item  # sent before; the worker that owns it now sends the newest data
        raise MailchimpTransientError(
            title="Waiting for %s #%s" % (kind.value, object_id),
            detail="Another worker is sending %s #%s right now; this item follows it." % (kind.value, object_id),
        )
    result = run_claimed(client, shop_settings, item, handler)
    item.refresh_from_db()
    if result.result in ("synced", "skipped") or (result.result == "retrying" and result.error is None):
        return item
    error = result.error
    if result.result == "retrying" or error is None:
        raise MailchimpTransientError(
            title="Waiting for %s #%s" % (kind.value, object_id),
            detail="%s #%s will be sent again first: %s" % (
                kind.value, object_id, error.describe() if isinstance(error, MailchimpError) else error),
        )
    raise error
