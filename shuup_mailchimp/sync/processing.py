"""Process outbox items: the plain functions behind the Celery tasks and ``mailchimp_sync``."""
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional

from django.core.exceptions import ImproperlyConfigured

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.client import client_for
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.contacts import sync_contact
from shuup_mailchimp.sync.interests import sync_interest
from shuup_mailchimp.sync.orders import sync_order, sync_product

logger = logging.getLogger("shuup_mailchimp")

HANDLERS = {
    SyncKind.INTEREST: sync_interest,
    SyncKind.CONTACT: sync_contact,
    SyncKind.PRODUCT: sync_product,
    SyncKind.ORDER: sync_order,
}
#: Groups before contacts (their interests), products before orders.
KIND_ORDER = {SyncKind.INTEREST: 0, SyncKind.CONTACT: 1, SyncKind.PRODUCT: 2, SyncKind.ORDER: 3}


@dataclass
class RunSummary:
    synced: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    errors: List[str] = field(default_factory=list)

    @property
    def total(self):
        return self.synced + self.skipped + self.retrying + self.failed

    def add(self, result: str, error: str = ""):
        setattr(self, result, getattr(self, result) + 1)
        if error and len(self.errors) < 50:
            self.errors.append(error)

    def __str__(self):
        return "%d synced, %d skipped, %d retrying later, %d failed" % (
            self.synced, self.skipped, self.retrying, self.failed)


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


def process_due(shop_id=None, kinds=None, limit=None, progress: Optional[Callable] = None) -> RunSummary:
    """Send every due item (optionally of one shop / some kinds), in batches, until none is due."""
    summary = RunSummary()
    connections = _Connections()
    batch_size = app_settings.PROCESS_BATCH_SIZE
    seen = set()
    while limit is None or summary.total < limit:
        take = batch_size if limit is None else min(batch_size, limit - summary.total)
        batch = [i for i in outbox.due_items(shop_id=shop_id, kinds=kinds, limit=take) if i.pk not in seen]
        if not batch:
            break
        seen.update(i.pk for i in batch)
        _process_batch(batch, connections, summary, progress)
    return summary


def process_items(keys: Iterable) -> RunSummary:
    """Send these items if they are still due. ``keys``: item ids or (shop id, kind, object id)."""
    summary = RunSummary()
    keys = [k if isinstance(k, int) else tuple(k) for k in keys]
    if not keys:
        return summary
    batch = list(outbox.due_items(keys=keys))
    _process_batch(batch, _Connections(), summary, None)
    return summary


def _process_batch(batch, connections, summary, progress):
    for item in sorted(batch, key=lambda i: (KIND_ORDER[i.kind], i.pk)):
        if outbox.claim(item):
            result, error = process_claimed_item(connections, item)
            summary.add(result, error)
        if progress:
            progress(item)


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
        outcome = HANDLERS[item.kind](client, shop_settings, item)
    except MailchimpError as exc:
        status = outbox.mark_error(item, exc, transient=exc.is_transient)
        return _result_of(status), "%s #%s: %s" % (item.kind.value, item.object_id, exc.describe())
    except Exception as exc:  # a bug or a configuration problem: record it on the row, stop retrying
        if not isinstance(exc, ImproperlyConfigured):
            logger.exception("Mailchimp sync of %s failed", item)
        status = outbox.mark_error(item, _as_error(exc), transient=False)
        return _result_of(status), "%s #%s: %s" % (item.kind.value, item.object_id, exc)
    outbox.mark_synced(item, outcome)
    return ("skipped" if outcome.skipped else "synced"), ""


def sync_inline(client, shop_settings, kind: SyncKind, object_id: int) -> MailchimpSyncItem:
    """Bring one related item up to date within another item's processing (an order's customer).

    Raises the item's own error so the caller retries or fails with it.
    """
    outbox.record([shop_settings.shop_id], kind, object_id)
    item = MailchimpSyncItem.objects.get(shop_id=shop_settings.shop_id, kind=kind, object_id=object_id)
    if outbox.claim(item):
        try:
            outcome = HANDLERS[kind](client, shop_settings, item)
        except MailchimpError as exc:
            outbox.mark_error(item, exc, transient=exc.is_transient)
            raise
        outbox.mark_synced(item, outcome)
    item.refresh_from_db()
    return item


def status_counts(shop_id=None) -> Counter:
    qs = MailchimpSyncItem.objects.all()
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    counts = Counter()
    for kind, status in qs.values_list("kind", "status"):
        counts[(SyncKind(kind), SyncStatus(status))] += 1
    return counts


def _result_of(status):
    return "failed" if status == SyncStatus.FAILED else "retrying"


def _as_error(exc):
    return MailchimpError(title=type(exc).__name__, detail=str(exc))
