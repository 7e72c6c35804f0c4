"""Recording work and moving outbox items through pending -> processing -> synced / failed.

Concurrency without locks: claiming is a conditional UPDATE (``WHERE status = pending``), so
two workers never both own an item; finishing is conditional on ``version``, so a change
recorded while an item was in flight leaves it pending for another round.
"""
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterable, List, Optional

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem

#: An item left "processing" this long (its worker died) is taken again.
STALE_PROCESSING = timedelta(minutes=15)


_active = {"ids": None, "loaded_at": 0.0}


def active_shop_ids() -> frozenset:
    """Ids of shops whose integration is on. Cached per process, because every contact save asks.

    A change saved in this process clears the cache at once (see receivers); other processes
    see it within ``SHUUP_MAILCHIMP_ACTIVE_SHOPS_TTL`` seconds.
    """
    now = time.monotonic()
    if _active["ids"] is None or now - _active["loaded_at"] > app_settings.ACTIVE_SHOPS_TTL:
        _active["ids"] = frozenset(MailchimpShopSettings.objects.active().values_list("shop_id", flat=True))
        _active["loaded_at"] = now
    return _active["ids"]


def forget_active_shops(**kwargs):
    _active["ids"] = None


def record(shop_ids: Iterable[int], kind: SyncKind, object_id: int) -> List[tuple]:
    """Mark (shop, kind, object) as needing a sync; returns their keys. Makes no network call.

    One UPDATE for an object seen before, one INSERT for a new one: this runs in the shop's
    request path on every contact save.
    """
    now = timezone.now()
    keys = []
    for shop_id in shop_ids:
        _record_one(shop_id, kind, object_id, now)
        keys.append((shop_id, kind.value, object_id))
    return keys


def touch(shop_id: int, kind: SyncKind, object_id: int) -> List[tuple]:
    """Like :func:`record`, but only for an object that already has an item (one UPDATE, no INSERT)."""
    qs = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=kind, object_id=object_id)
    now = timezone.now()
    if qs.update(status=SyncStatus.PENDING, version=F("version") + 1, attempts=0, next_attempt_at=now, modified_on=now):
        return [(shop_id, kind.value, object_id)]
    return []


def touch_all(shop_ids, kind: SyncKind, object_id: int) -> List[tuple]:
    """:func:`touch` for several shops in one UPDATE; returns the keys of the items touched.

    Plain SQL: this runs on every contact save, and the ORM's UPDATE with F() costs ~1.5 ms of
    Python per call here (measured by bench/save_overhead.py) against ~0.1 ms for the statement.
    """
    shop_ids = [int(s) for s in shop_ids]
    if not shop_ids:
        return []
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        "UPDATE {table} SET status = %s, version = version + 1, attempts = 0, next_attempt_at = %s, "
        "modified_on = %s WHERE kind = %s AND object_id = %s AND shop_id IN ({shops})"
    ).format(table=MailchimpSyncItem._meta.db_table, shops=", ".join(["%s"] * len(shop_ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [SyncStatus.PENDING.value, now, now, kind.value, object_id] + shop_ids)
        touched = cursor.rowcount
    return [(None, kind.value, object_id)] if touched else []  # shop unknown: matched by kind and object


def _record_one(shop_id, kind, object_id, now):
    lookup = dict(shop_id=shop_id, kind=kind, object_id=object_id)
    pending = dict(status=SyncStatus.PENDING, version=F("version") + 1, attempts=0, next_attempt_at=now, modified_on=now)
    if MailchimpSyncItem.objects.filter(**lookup).update(**pending):
        return
    try:
        with transaction.atomic():
            MailchimpSyncItem.objects.create(next_attempt_at=now, **lookup)
    except IntegrityError:  # created by a concurrent save
        MailchimpSyncItem.objects.filter(**lookup).update(**pending)


def keys_filter(keys) -> Q:
    """A filter matching items given by id or by (shop id, kind, object id) key."""
    query = Q(pk__in=[k for k in keys if isinstance(k, int)])
    for key in keys:
        if not isinstance(key, int):
            shop_id, kind, object_id = key
            match = Q(kind=SyncKind(kind), object_id=object_id)
            query |= match if shop_id is None else match & Q(shop_id=shop_id)
    return query


def due_items(shop_id=None, kinds=None, limit=None, keys=None):
    """Items ready to send now: pending and due, or processing for too long (a dead worker)."""
    now = timezone.now()
    stale = Q(status=SyncStatus.PROCESSING, modified_on__lt=now - STALE_PROCESSING)
    qs = MailchimpSyncItem.objects.filter(Q(status=SyncStatus.PENDING, next_attempt_at__lte=now) | stale)
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    if kinds:
        qs = qs.filter(kind__in=list(kinds))
    if keys is not None:
        qs = qs.filter(keys_filter(list(keys)))
    qs = qs.order_by("next_attempt_at", "pk")
    return qs[:limit] if limit else qs


def claim(item: MailchimpSyncItem) -> bool:
    """Take the item for this worker. False when another worker was first.

    The version is read after claiming and before the handler reads the Shuup object, so a
    change recorded from here on keeps the item pending (see :func:`mark_synced`).
    """
    now = timezone.now()
    claimed = (
        MailchimpSyncItem.objects.filter(pk=item.pk)
        .filter(Q(status=SyncStatus.PENDING) | Q(status=SyncStatus.PROCESSING, modified_on__lt=now - STALE_PROCESSING))
        .update(status=SyncStatus.PROCESSING, modified_on=now)
    )
    if not claimed:
        return False
    item.status = SyncStatus.PROCESSING
    item.version, item.attempts = MailchimpSyncItem.objects.filter(pk=item.pk).values_list("version", "attempts")[0]
    return True


@dataclass
class Outcome:
    """What a sync handler achieved for one item."""

    fingerprint: str = ""
    remote_id: str = ""
    note: str = ""
    skipped: bool = False  # nothing was sent: unchanged, or nothing to send


def mark_synced(item: MailchimpSyncItem, outcome: Outcome) -> bool:
    """Synced, unless the item changed while in flight (then it stays pending)."""
    now = timezone.now()
    values = dict(
        status=SyncStatus.SYNCED,
        attempts=0,
        next_attempt_at=None,
        last_error_status=None,
        last_error_title="",
        last_error_detail="",
        note=outcome.note[:255],
        synced_on=now,
        modified_on=now,
    )
    if outcome.fingerprint:
        values["fingerprint"] = outcome.fingerprint
    if outcome.remote_id:
        values["remote_id"] = outcome.remote_id
    done = MailchimpSyncItem.objects.filter(pk=item.pk, version=item.version).update(**values)
    if not done:  # keep what we learnt; the newer change is still pending
        keep = {k: values[k] for k in ("fingerprint", "remote_id") if k in values}
        if keep:
            MailchimpSyncItem.objects.filter(pk=item.pk).update(**keep)
    return bool(done)


def retry_delay(attempts: int, rng=random) -> float:
    """Exponential backoff with full jitter: base * 2^(attempt-1), capped, then 50-100% of it."""
    delay = min(app_settings.RETRY_MAX_DELAY, app_settings.RETRY_BASE_DELAY * (2 ** max(attempts - 1, 0)))
    return delay * (0.5 + rng.random() / 2)


def mark_error(item: MailchimpSyncItem, error, transient: bool, now=None) -> SyncStatus:
    """Schedule a retry (transient, attempts left) or mark failed. Never retries forever."""
    now = now or timezone.now()
    attempts = item.attempts + 1
    give_up = (not transient) or attempts >= app_settings.MAX_ATTEMPTS
    status = SyncStatus.FAILED if give_up else SyncStatus.PENDING
    values = dict(
        status=status,
        attempts=attempts,
        next_attempt_at=None if give_up else now + timedelta(seconds=retry_delay(attempts)),
        last_error_status=getattr(error, "status", None),
        last_error_title=(getattr(error, "title", "") or type(error).__name__)[:255],
        last_error_detail=_describe(error),
        note=("gave up after %d attempts" % attempts if transient and give_up else "")[:255],
        modified_on=now,
    )
    done = MailchimpSyncItem.objects.filter(pk=item.pk, version=item.version).update(**values)
    if not done:
        # Changed while in flight: the new data deserves a fresh try; keep the error visible.
        keep = {k: values[k] for k in ("last_error_status", "last_error_title", "last_error_detail")}
        MailchimpSyncItem.objects.filter(pk=item.pk).update(**keep)
        return SyncStatus.PENDING
    return status


def requeue_failed(shop_id: Optional[int] = None, ids=None) -> int:
    """Resend: failed items become pending and due now, with a fresh attempt budget."""
    qs = MailchimpSyncItem.objects.filter(status=SyncStatus.FAILED)
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(
        status=SyncStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), version=F("version") + 1
    )


def _describe(error) -> str:
    describe = getattr(error, "describe", None)
    return describe() if describe else str(error)
