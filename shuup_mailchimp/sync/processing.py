"""Process outbox items: the plain functions behind the Celery tasks, the background runner and
``mailchimp_sync``."""
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional

from django.core.exceptions import ImproperlyConfigured

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.call_log import log_process
from shuup_mailchimp.client import client_for
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync import inbound, outbox
from shuup_mailchimp.sync.execution import record_failure, run_claimed
from shuup_mailchimp.sync.handlers import HANDLERS, KIND_ORDER


@dataclass
class RunSummary:
    synced: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0  # another worker took the item over
    errors: List[str] = field(default_factory=list)
    #: After the run: pending items waiting for their next attempt, and the earliest one.
    waiting: int = 0
    next_attempt_at: Optional[object] = None
    by_shop: Counter = field(default_factory=Counter)
    webhooks: Dict[str, int] = field(default_factory=dict)  # received webhooks applied, by outcome
    #: After a run with ``settle``: some due item was still inside its quiet period (run again soon).
    settling: bool = False

    @property
    def total(self):
        return self.synced + self.skipped + self.retrying + self.failed + self.lost

    def add(self, result: str, error: str = ""):
        setattr(self, result, getattr(self, result) + 1)
        if error and len(self.errors) < 50:
            self.errors.append(error)

    def __str__(self):
        text = "%d synced, %d unchanged, %d retrying later, %d failed" % (
            self.synced, self.skipped, self.retrying, self.failed)
        if self.webhooks:
            text += "; webhooks: %s" % ", ".join("%d %s" % (n, k) for k, n in sorted(self.webhooks.items()))
        if self.waiting:
            text += "; %d waiting for their next attempt (the first at %s)" % (
                self.waiting, self.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S %Z"))
        return text


class _Connections:
    """One settings row and one client per shop for the length of a run."""

    def __init__(self):
        self._by_shop: Dict[int, tuple] = {}

    def get(self, shop_id):
        if shop_id not in self._by_shop:
            shop_settings = MailchimpShopSettings.for_shop(shop_id)
            client = client_for(shop_settings) if shop_settings.api_key else None
            self._by_shop[shop_id] = (shop_settings, client)
        return self._by_shop[shop_id]


class Stop(Exception):
    """Raised by a ``should_stop`` caller to end a run between two items."""


def process_due(shop_id=None, kinds=None, limit=None, progress: Optional[Callable] = None, ignore_backoff=False,
                should_stop: Optional[Callable[[], bool]] = None, log=True, settle=False, part=None) -> RunSummary:
    """Send every due item (optionally of one shop / some kinds), in batches, until none is due.

    ``ignore_backoff``: also the pending items still waiting for their next attempt (an operator's
    flush after an outage). ``should_stop``: asked between items; the run ends when it says so,
    leaving the rest pending. ``settle`` (the dispatched runs): leave items changed within the
    quiet period (``TASK_COUNTDOWN``) for a later run, and say so in ``summary.settling``.
    ``part``: ``(k, n)``, one of ``n`` parallel drains: its own part of the items first, then the
    rest. Each shop that had work gets a log row with the counts.
    """
    summary = RunSummary()
    summary.webhooks = inbound.process_received(shop_id)  # Mailchimp's news first: it may change consent
    connections = _Connections()
    quiet = app_settings.TASK_COUNTDOWN if settle else None
    seen = set()
    while limit is None or summary.total < limit:
        take = app_settings.PROCESS_BATCH_SIZE if limit is None else min(app_settings.PROCESS_BATCH_SIZE,
                                                                         limit - summary.total)
        batch = outbox.due_items(shop_id=shop_id, kinds=kinds, limit=take, ignore_backoff=ignore_backoff,
                                 settle=quiet, part=part)
        batch = [i for i in batch if i.pk not in seen]
        if not batch and part is not None:
            part = None  # this drain's part is done: help with the others' (claims keep one owner)
            continue
        if not batch:
            break
        seen.update(i.pk for i in batch)
        if not _process_batch(batch, connections, summary, progress, should_stop):
            break
    summary.waiting, summary.next_attempt_at = outbox.waiting(shop_id)
    if quiet:
        summary.settling = outbox.settling(shop_id, quiet)
    if log:
        _log_run(summary, "sync_run")
    return summary


def process_items(keys: Iterable) -> RunSummary:
    """Send these items if they are still due. ``keys``: item ids or (shop id, kind, object id)."""
    summary = RunSummary()
    keys = [k if isinstance(k, int) else tuple(k) for k in keys]
    if keys:
        _process_batch(list(outbox.due_items(keys=keys)), _Connections(), summary, None, None)
    return summary


def _process_batch(batch, connections, summary, progress, should_stop) -> bool:
    """False when ``should_stop`` ended the run."""
    for item in sorted(batch, key=lambda i: (KIND_ORDER[i.kind], i.pk)):
        if should_stop is not None and should_stop():
            return False
        if outbox.claim(item):
            result = process_claimed_item(connections, item)
            summary.add(result.result, result.describe(item))
            summary.by_shop[item.shop_id] += 1
        if progress:
            progress(item)
    return True


def process_claimed_item(connections, item: MailchimpSyncItem):
    """Run the item's handler and record the outcome. Never raises: every failure lands on the row."""
    try:
        shop_settings, client = connections.get(item.shop_id)
        if not shop_settings.is_active:
            raise ImproperlyConfigured(
                "The Mailchimp integration of shop %s is disabled or has no API key / audience." % item.shop_id
            )
        if not shop_settings.is_initialized:
            from shuup_mailchimp.sync.store import initialize_store

            initialize_store(shop_settings, client)
    except Exception as exc:
        return record_failure(item, exc)
    return run_claimed(client, shop_settings, item, HANDLERS[item.kind])


def _log_run(summary: RunSummary, operation: str):
    for shop_id, taken in summary.by_shop.items():
        message = "Sync run: %d item(s) of this shop taken (%d in all): %s." % (taken, summary.total, summary)
        log_process(shop_id, operation, message, success=not summary.failed)
