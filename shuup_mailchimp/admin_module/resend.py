"""Resend from the admin: only queue, never send inside the request.

Failed items go back to *pending*, due now, with a fresh attempt budget (``outbox.requeue_failed``).
After the commit, the worker that sends the rest of the shop's work is told:

- ``"celery"``: a ``process_due`` task is queued (``tasks.schedule``);
- ``"background"``: this process's background thread is woken (``tasks.schedule``);
- ``"inline"`` (tests, scripts): nobody is told. Sending inline would make the admin wait on
  Mailchimp, so the items wait for the next ``mailchimp_sync`` or periodic run, and the
  message says so.
"""
from django.db import transaction
from django.utils.translation import ugettext as _
from django.utils.translation import ungettext

from shuup_mailchimp import tasks
from shuup_mailchimp.app_settings import DISPATCH_BACKGROUND, DISPATCH_CELERY, app_settings
from shuup_mailchimp.call_log import log_process
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import outbox


def _dispatch_mode():
    try:
        return app_settings.DISPATCH
    except Exception:  # a misconfigured DISPATCH is a system check error; do not break the admin
        return None


def kick(item_ids):
    """Tell the worker after the commit; in "inline" mode tell nobody (see the module docstring)."""
    if _dispatch_mode() in (DISPATCH_CELERY, DISPATCH_BACKGROUND):
        transaction.on_commit(lambda: tasks.schedule(list(item_ids)))


def resend_failed_items(shop_id, ids=None) -> int:
    """Requeue the shop's failed items (all, or those of ``ids``). Returns the count.

    Items of ``ids`` that are not failed are left alone: pending ones are on their way and
    synced ones have nothing new to send.
    """
    failed = MailchimpSyncItem.objects.filter(shop_id=shop_id, status=SyncStatus.FAILED)
    if ids is not None:
        failed = failed.filter(pk__in=list(ids))
    item_ids = list(failed.values_list("pk", flat=True))
    if not item_ids:
        return 0
    count = outbox.requeue_failed(shop_id=shop_id, ids=item_ids)
    log_process(shop_id, "resend", "%d failed item(s) queued for sending again from the admin." % count)
    kick(item_ids)
    return count


def queue_contact(shop_id, contact_id) -> int:
    """Queue a contact that has no sync item yet (the contact section's "Send to Mailchimp")."""
    keys = outbox.record([shop_id], SyncKind.CONTACT, contact_id)
    item_ids = list(MailchimpSyncItem.objects.filter(outbox.keys_filter(keys)).values_list("pk", flat=True))
    kick(item_ids)
    return len(item_ids)


def queued_message(count, again=True) -> str:
    """What happens next, truthfully, for the current dispatch mode."""
    if again:
        text = ungettext("%(n)d item is queued to be sent again.", "%(n)d items are queued to be sent again.",
                         count) % {"n": count}
    else:
        text = ungettext("%(n)d item is queued to be sent.", "%(n)d items are queued to be sent.", count) % {
            "n": count}
    mode = _dispatch_mode()
    if mode == DISPATCH_CELERY:
        when = _("A Celery worker sends them within a few seconds; reload this page to see the result.")
    elif mode == DISPATCH_BACKGROUND:
        when = _("This server's background worker sends them within a few seconds; reload this page to see "
                 "the result.")
    else:
        when = _("They are sent by the next sync run (the periodic task, or manage.py mailchimp_sync).")
    return "%s %s" % (text, when)
