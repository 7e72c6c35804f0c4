"""Run one claimed item: its handler under the claim, errors classified once, the outcome
recorded by the outbox. Used for the items a run takes and for the related items an order
brings up to date on the way (its customer, its products).

Classification (closed by default, every failure lands on the row):

- a Mailchimp error: transient or permanent as ``client.errors`` decided; an *absent* resource
  the handler did not deal with is permanent;
- a database error (deadlock, lost connection, "database is locked"): transient;
- a configuration problem (the shop's integration is off or incomplete): permanent;
- anything else is a bug: transient with the same bounded budget, recorded as an internal
  error with its traceback in the log, distinct from Mailchimp's errors;
- :class:`~shuup_mailchimp.sync.outbox.LostClaim`: another worker owns the item now; nothing
  is recorded (the row is theirs).
"""
import logging
from dataclasses import dataclass
from typing import Callable, Optional

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection

from shuup_mailchimp.enums import ErrorKind, SyncStatus
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.sync import outbox

logger = logging.getLogger("shuup_mailchimp")


@dataclass
class ItemResult:
    """How one item ended: ``result`` is synced, skipped, retrying, failed or lost."""

    result: str
    error: Optional[BaseException] = None
    transient: bool = False

    def describe(self, item) -> str:
        if self.error is None:
            return ""
        text = self.error.describe() if isinstance(self.error, MailchimpError) else str(self.error)
        return "%s #%s: %s" % (item.kind.value, item.object_id, text)


def classify(exc: BaseException):
    """(error to record, transient?, ErrorKind) for an exception a handler raised."""
    if isinstance(exc, MailchimpError):
        return exc, exc.is_transient, ErrorKind.MAILCHIMP
    if isinstance(exc, ImproperlyConfigured):
        return MailchimpError(title="Configuration", detail=str(exc)), False, ErrorKind.CONFIGURATION
    if isinstance(exc, DatabaseError):
        return MailchimpError(title="Database error", detail="%s: %s" % (type(exc).__name__, exc)), True, \
            ErrorKind.DATABASE
    return MailchimpError(title="Internal error", detail="%s: %s" % (type(exc).__name__, exc)), True, \
        ErrorKind.INTERNAL


def run_claimed(client, shop_settings, item, handler: Callable) -> ItemResult:
    """Run ``handler(client, shop_settings, item)`` for an item this worker claimed. Never raises
    for the handler's failures: they land on the row."""
    try:
        with client.calling_first(lambda: outbox.renew(item)):
            outcome = handler(client, shop_settings, item)
    except outbox.LostClaim:
        logger.warning("Mailchimp sync of %s: another worker took it over; stopping", item)
        return ItemResult("lost")
    except Exception as exc:  # every failure is recorded on the row, classified
        return record_failure(item, exc)
    if not outbox.mark_synced(item, outcome):
        return ItemResult("retrying")  # changed while in flight: goes round again
    return ItemResult("skipped" if outcome.skipped else "synced")


def record_failure(item, exc: BaseException) -> ItemResult:
    error, transient, kind = classify(exc)
    if kind in (ErrorKind.INTERNAL, ErrorKind.DATABASE):
        logger.exception("Mailchimp sync of %s failed (%s)", item, kind.value)
    if kind == ErrorKind.DATABASE and not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()  # a lost connection is reopened for the next item
    try:
        status = outbox.mark_error(item, error, transient=transient, kind=kind)
    except Exception:  # the database itself is gone: the claim's lease hands the item on later
        logger.exception("Could not record the failure of %s", item)
        return ItemResult("retrying", error, transient)
    return ItemResult("failed" if status == SyncStatus.FAILED else "retrying", error, transient)
