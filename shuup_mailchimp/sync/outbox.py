"""The outbox: recording work, and every status transition of ``MailchimpSyncItem``.

This module is the only writer of sync items. Handlers read what they need and return an
:class:`Outcome`; they never update rows themselves.

One owner per item, without locks:

- Claiming is a conditional UPDATE (``WHERE status = pending``) that stores a random
  ``claim_token`` and a lease (``claimed_until``). Only the holder of the token may finish the
  item, save its state or release it.
- Recording a change on an item that is *processing* bumps ``version`` and leaves it owned.
  The owner finishes it; because the version moved, the item goes back to pending (due now)
  instead of synced, so the newer data is sent by a later round and never overtaken by a
  stale write.
- The owner renews its lease before every Mailchimp call (see ``processing``). Another worker
  takes an item over only after the lease expired, i.e. after longer than one call's whole
  time-out budget without a word from the owner; a renewal that finds the token gone stops
  the old owner before its next call (:class:`LostClaim`).
"""
import contextlib
import contextvars
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, List, Optional

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Case, CharField, Count, F, IntegerField, Q, Value, When
from django.utils import timezone

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.enums import ErrorKind, SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem

PENDING, PROCESSING = SyncStatus.PENDING, SyncStatus.PROCESSING

_active = {"ids": None, "loaded_at": 0.0}


class LostClaim(Exception):
    """This worker no longer owns the item (its lease expired and another worker took it)."""


class ItemBusy(Exception):
    """A worker is sending the item right now: what we learnt must wait for the next round."""


_suppressed = contextvars.ContextVar("shuup_mailchimp_recording_suppressed", default=False)


@contextlib.contextmanager
def recording_suppressed():
    """Changes made inside record no work: applying what Mailchimp told us must not echo back."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


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


# Recording work (the shop's request path) -----------------------------------------------------

def _changed(now):
    """Column values for "this object changed": pending and due, unless a worker owns it."""
    owned = Q(status=PROCESSING)
    return dict(
        status=Case(When(owned, then=Value(PROCESSING.value)), default=Value(PENDING.value), output_field=CharField()),
        attempts=Case(When(owned, then=F("attempts")), default=Value(0), output_field=IntegerField()),
        version=F("version") + 1,
        next_attempt_at=now,
        modified_on=now,
    )


def record(shop_ids: Iterable[int], kind: SyncKind, object_id: int) -> List[tuple]:
    """Mark (shop, kind, object) as needing a sync; returns their keys. Makes no network call.

    One UPDATE for an object seen before, one INSERT for a new one.
    """
    if _suppressed.get():
        return []
    now = timezone.now()
    keys = []
    for shop_id in shop_ids:
        lookup = dict(shop_id=shop_id, kind=kind, object_id=object_id)
        if not MailchimpSyncItem.objects.filter(**lookup).update(**_changed(now)):
            try:
                with transaction.atomic():
                    MailchimpSyncItem.objects.create(next_attempt_at=now, **lookup)
            except IntegrityError:  # created by a concurrent save
                MailchimpSyncItem.objects.filter(**lookup).update(**_changed(now))
        keys.append((shop_id, kind.value, object_id))
    return keys


def touch(shop_id: int, kind: SyncKind, object_id: int) -> List[tuple]:
    """Like :func:`record`, but only for an object that already has an item (one UPDATE, no INSERT)."""
    if _suppressed.get():
        return []
    qs = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=kind, object_id=object_id)
    if qs.update(**_changed(timezone.now())):
        return [(shop_id, kind.value, object_id)]
    return []


# An item already pending and due keeps its status and due time: no indexed column changes, so
# PostgreSQL can update the row in place (HOT) instead of writing a new entry into every index
# (measured: 270 -> 170 us per repeated save).
_TOUCH_SQL = (
    "UPDATE {table} SET "
    "status = CASE WHEN status = %s THEN status ELSE %s END, "
    "attempts = CASE WHEN status = %s THEN attempts ELSE 0 END, "
    "next_attempt_at = CASE WHEN status = %s AND next_attempt_at <= %s THEN next_attempt_at ELSE %s END, "
    "version = version + 1, modified_on = %s "
    "WHERE kind = %s AND object_id = %s AND shop_id IN ({shops})"
)


def touch_all(shop_ids, kind: SyncKind, object_id: int) -> List[tuple]:
    """:func:`touch` for several shops in one UPDATE; returns the keys of the items touched.

    Plain SQL on the driver's own cursor: this runs on every contact save, and the ORM's UPDATE
    with F() and Case costs ~1.5 ms of Python per call, Django's cursor wrapper ~25 us more than
    the driver's (~60 us for the statement; bench/save_overhead.py). Errors still come out as
    Django's (``wrap_database_errors``), and a broken transaction is refused as Django would.
    """
    shop_ids = [int(s) for s in shop_ids]
    if not shop_ids or _suppressed.get():
        return []
    db = connections[DEFAULT_DB_ALIAS]  # once, not through the proxy at every attribute
    now = _now_param(db)
    params = [PROCESSING.value, PENDING.value, PROCESSING.value, PENDING.value, now, now, now, kind.value,
              object_id] + shop_ids
    db.ensure_connection()
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        cursor = db.connection.cursor()
        try:
            cursor.execute(_touch_statement(db, len(shop_ids)), params)
            touched = cursor.rowcount
        finally:
            cursor.close()
    return [(None, kind.value, object_id)] if touched else []  # shop unknown: matched by kind and object


# A burst of saves of one object (edits in quick succession, a script or an import that saves a
# contact several times): the first save touches the item and schedules a run after its commit;
# that run keeps going (the background thread wakes itself again, a Celery drain re-kicks) for as
# long as an item is inside its quiet period, and on SQLite its claim waits for the saving
# transaction. So while such a run is known to come, a save only has to bump an item that is still
# pending, due and untried, and need not schedule again. The bump SETs no indexed column: SQLite
# rewrites an index entry whenever its column is SET, even to its own value, so the full statement
# writes one more page (seen with strace: 4 more pwrite calls per save). PostgreSQL compares the
# values itself (a HOT update), so the bump would save it no page: this is SQLite's path only (a
# test pins that every save on PostgreSQL takes the full path). The guard is in the WHERE: an item
# it does not match (claimed, synced, failed, in backoff, a retry) makes the save take the full
# path, a touch and a schedule, as a lone save does.
_BUMP_SQL = (
    "UPDATE {table} SET version = version + 1, modified_on = %s "
    "WHERE kind = %s AND object_id = %s AND shop_id IN ({shops}) "
    "AND status = %s AND next_attempt_at <= %s AND attempts = 0"
)
#: (kind value, object id, shop ids) -> monotonic time until which a run scheduled after a touch is known to come.
_run_coming = {}
#: Entries kept at most (a bulk import schedules for each contact once: the map would only grow).
RUN_COMING_MAX = 256


def remember_run_scheduled(shop_ids, kind: SyncKind, object_id: int, seconds: float) -> None:
    """After commit: a run that takes this object's items was scheduled (see :func:`bump_if_run_coming`)."""
    if seconds <= 0 or connections[DEFAULT_DB_ALIAS].vendor != "sqlite":
        return
    if len(_run_coming) >= RUN_COMING_MAX:
        _run_coming.clear()
    _run_coming[(kind.value, object_id, frozenset(shop_ids))] = time.monotonic() + seconds


def bump_if_run_coming(shop_ids, kind: SyncKind, object_id: int) -> bool:
    """Bump the object's items if a run is known to come and each is still pending, due and untried.

    True when every shop's item was bumped: the save needs nothing more. False otherwise (the save
    takes the full path: :func:`touch_all` and a schedule); an item bumped here is bumped again there.
    """
    coming_until = _run_coming.get((kind.value, object_id, frozenset(shop_ids)))
    if coming_until is None or time.monotonic() > coming_until or _suppressed.get():
        return False
    db = connections[DEFAULT_DB_ALIAS]
    if db.connection is None or db.needs_rollback:
        return False  # the full path connects, or refuses the broken transaction as Django would
    now = _now_param(db)
    shop_ids = [int(s) for s in shop_ids]
    with db.wrap_database_errors:
        bumped = db.connection.execute(_touch_statement(db, len(shop_ids), _BUMP_SQL),
                                       [now, kind.value, object_id] + shop_ids + [PENDING.value, now]).rowcount
    return bumped == len(shop_ids)  # one item per shop at most


_statements = {}


def _touch_statement(db, shops: int, template: str = _TOUCH_SQL) -> str:
    """A touch UPDATE for ``shops`` shop ids, in the driver's own parameter style (cached)."""
    key = (db.vendor, shops, template)
    sql = _statements.get(key)
    if sql is None:
        sql = template.format(table=MailchimpSyncItem._meta.db_table, shops=", ".join(["%s"] * shops))
        if db.Database.paramstyle == "qmark":  # sqlite3: what Django's SQLite cursor converts to
            sql = sql.replace("%s", "?")
        _statements[key] = sql
    return sql


def _now_param(db):
    """``timezone.now()`` as the driver takes it; on SQLite in UTC built directly (what Django builds)."""
    if db.vendor == "sqlite" and settings.USE_TZ and db.timezone_name == "UTC":
        return str(datetime.utcnow())
    return db.ops.adapt_datetimefield_value(timezone.now())


def keys_filter(keys) -> Q:
    """A filter matching items given by id or by (shop id, kind, object id) key."""
    query = Q(pk__in=[k for k in keys if isinstance(k, int)])
    for key in keys:
        if not isinstance(key, int):
            shop_id, kind, object_id = key
            match = Q(kind=SyncKind(kind), object_id=object_id)
            query |= match if shop_id is None else match & Q(shop_id=shop_id)
    return query


# Choosing and claiming -------------------------------------------------------------------------

def lease() -> timedelta:
    return timedelta(seconds=app_settings.CLAIM_LEASE)


def _expired(now) -> Q:
    """A processing item whose owner has not renewed its lease in time (it died or hangs)."""
    return Q(status=PROCESSING) & (
        Q(claimed_until__lt=now) | Q(claimed_until__isnull=True, modified_on__lt=now - lease())
    )


def _settled(now, quiet: float) -> Q:
    """Unchanged for ``quiet`` seconds (a burst of saves is over), or due for ``MAX_COALESCE_DELAY``.

    A touch keeps a due item's ``next_attempt_at``, so it tells how long the item has been waiting:
    an object saved again and again is still sent within the cap.
    """
    return Q(modified_on__lte=now - timedelta(seconds=quiet)) | Q(
        next_attempt_at__lte=now - timedelta(seconds=app_settings.MAX_COALESCE_DELAY))


def due_items(shop_id=None, kinds=None, limit=None, keys=None, ignore_backoff=False, settle=None, part=None):
    """Items to send now: pending and due (any pending with ``ignore_backoff``), or with an expired claim.

    ``settle``: seconds a pending item must have gone unchanged (see :func:`_settled`), so the
    dispatched runs fold a burst of saves into one write. ``part``: ``(k, n)`` takes only the items
    whose id is ``k`` modulo ``n``, so ``n`` parallel drains start on disjoint items.
    """
    now = timezone.now()
    pending = Q(status=PENDING) if ignore_backoff else Q(status=PENDING, next_attempt_at__lte=now)
    if settle:
        pending &= _settled(now, settle)
    qs = MailchimpSyncItem.objects.filter(pending | _expired(now))
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    if kinds:
        qs = qs.filter(kind__in=list(kinds))
    if keys is not None:
        qs = qs.filter(keys_filter(list(keys)))
    if part is not None and part[1] > 1:
        qs = qs.annotate(_part=F("pk") % int(part[1])).filter(_part=int(part[0]))
    qs = qs.order_by("next_attempt_at", "pk")
    return qs[:limit] if limit else qs


def settling(shop_id=None, quiet: float = 0) -> bool:
    """Whether a due pending item is still inside its quiet period (a later run must take it)."""
    now = timezone.now()
    qs = MailchimpSyncItem.objects.filter(status=PENDING, next_attempt_at__lte=now).exclude(_settled(now, quiet))
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    return qs.exists()


def due_count(shop_id=None, at_most=1000) -> int:
    """How many items are due now, counted up to ``at_most`` (enough to decide on a fan-out)."""
    qs = due_items(shop_id=shop_id).order_by()
    return qs[:at_most].count()


def _take(qs, item) -> bool:
    """Claim the rows of ``qs`` (one item) for a new owner; fill in ``item``'s owner fields."""
    now = timezone.now()
    token = secrets.token_hex(16)
    if not qs.update(status=PROCESSING, claim_token=token, claimed_until=now + lease(), modified_on=now):
        return False
    item.version, item.attempts, item.fingerprint, item.remote_id, item.state, item.synced_on = (
        MailchimpSyncItem.objects.filter(pk=item.pk)
        .values_list("version", "attempts", "fingerprint", "remote_id", "state", "synced_on")[0]
    )
    if isinstance(item.state, str):  # jsonfield's values_list gives the raw text on some backends
        import json

        item.state = json.loads(item.state or "{}")
    item.status, item.claim_token = PROCESSING, token
    item.claimed_at = now  # not a column: what the handler reads from here on is what it sends
    return True


def claim(item: MailchimpSyncItem) -> bool:
    """Take a pending item (or one whose owner's lease expired) for this worker. False when not free.

    The version is read after claiming and before the handler reads the Shuup object, so a
    change recorded from here on sends the item round again (see :func:`mark_synced`).
    """
    free = Q(status=PENDING) | _expired(timezone.now())
    return _take(MailchimpSyncItem.objects.filter(pk=item.pk).filter(free), item)


def claim_related(shop_id: int, kind: SyncKind, object_id: int) -> Optional[MailchimpSyncItem]:
    """Claim the item of a related object within another item's processing (an order's customer,
    its products), whatever its status, unless another worker owns it. ``None`` then."""
    lookup = dict(shop_id=shop_id, kind=kind, object_id=object_id)
    item = MailchimpSyncItem.objects.filter(**lookup).first()
    if item is None:
        record([shop_id], kind, object_id)
        item = MailchimpSyncItem.objects.get(**lookup)
    # An existing item is not bumped: nothing changed, and a bump would make the worker that holds
    # it send the same data again (seen with 4 workers: member, customer and product PUT twice).
    free = ~Q(status=PROCESSING) | _expired(timezone.now())
    if _take(MailchimpSyncItem.objects.filter(pk=item.pk).filter(free), item):
        return item
    return None


def renew(item: MailchimpSyncItem) -> None:
    """Extend the owner's lease before a Mailchimp call; :class:`LostClaim` if it is not ours any more."""
    now = timezone.now()
    owned = MailchimpSyncItem.objects.filter(pk=item.pk, status=PROCESSING, claim_token=item.claim_token)
    if not owned.update(claimed_until=now + lease()):
        raise LostClaim("%s is owned by another worker now" % item)


def save_state(item: MailchimpSyncItem, state: dict) -> None:
    """Persist what we learnt from Mailchimp mid-way (before the next call may fail). Owner only.

    The fingerprint of the last complete sync no longer describes Mailchimp: it is cleared, so a
    retry sends again even if the Shuup object is back to what it was then.
    """
    owned = MailchimpSyncItem.objects.filter(pk=item.pk, status=PROCESSING, claim_token=item.claim_token)
    if not owned.update(state=state, fingerprint=""):
        raise LostClaim("%s is owned by another worker now" % item)
    item.state, item.fingerprint = state, ""


# Finishing --------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What a sync handler achieved for one item."""

    fingerprint: str = ""
    remote_id: str = ""
    note: str = ""
    skipped: bool = False  # nothing was sent: unchanged, or nothing to send
    state: Optional[dict] = None  # the item's new state, when it changed


def _owned(item):
    return MailchimpSyncItem.objects.filter(pk=item.pk, status=PROCESSING, claim_token=item.claim_token)


def _release_values(now):
    return dict(status=PENDING, claim_token="", claimed_until=None, next_attempt_at=now, modified_on=now)


def mark_synced(item: MailchimpSyncItem, outcome: Outcome) -> bool:
    """Synced, unless the item changed while in flight: then pending again, due now. Owner only."""
    now = timezone.now()
    learnt = {}
    if outcome.fingerprint:
        learnt["fingerprint"] = outcome.fingerprint
    if outcome.remote_id:
        learnt["remote_id"] = outcome.remote_id
    if outcome.state is not None:
        learnt["state"] = outcome.state
    done = _owned(item).filter(version=item.version).update(
        status=SyncStatus.SYNCED, claim_token="", claimed_until=None, attempts=0, next_attempt_at=None,
        last_error_status=None, last_error_title="", last_error_detail="", last_error_kind=None,
        note=outcome.note[:255], synced_on=now, modified_on=now, **learnt
    )
    if not done:  # keep what we learnt; the newer change goes round again
        if outcome.fingerprint and getattr(item, "claimed_at", None):
            # What was sent did reach Mailchimp: if the newer change leaves the object as it was
            # sent, the next pass sees the same fingerprint and skips it instead of sending it again.
            # Dated from the claim, before the handler read anything: a sign-up made while the item
            # was in flight is newer than that, so the next pass still applies it.
            learnt["synced_on"] = item.claimed_at
        _owned(item).update(note=outcome.note[:255], **dict(_release_values(now), **learnt))
    return bool(done)


def retry_delay(attempts: int, rng=random) -> float:
    """Exponential backoff with jitter: base * 2^(attempt-1), capped, then 50-100% of it."""
    delay = min(app_settings.RETRY_MAX_DELAY, app_settings.RETRY_BASE_DELAY * (2 ** max(attempts - 1, 0)))
    return delay * (0.5 + rng.random() / 2)


def mark_error(item: MailchimpSyncItem, error, transient: bool, kind: ErrorKind = ErrorKind.MAILCHIMP,
               now=None) -> SyncStatus:
    """Schedule a retry (transient, attempts left) or mark failed. Never retries forever. Owner only.

    A change recorded while the item was in flight deserves its own try: the item goes back to
    pending (after the backoff when the error was transient, since Mailchimp is still failing).
    """
    now = now or timezone.now()
    attempts = item.attempts + 1
    give_up = (not transient) or attempts >= app_settings.MAX_ATTEMPTS
    error_fields = dict(
        last_error_status=getattr(error, "status", None),
        last_error_title=(getattr(error, "title", "") or type(error).__name__)[:255],
        last_error_detail=_describe(error),
        last_error_kind=kind,
    )
    status = SyncStatus.FAILED if give_up else PENDING
    backoff = now + timedelta(seconds=retry_delay(attempts))
    done = _owned(item).filter(version=item.version).update(
        status=status,
        claim_token="",
        claimed_until=None,
        attempts=attempts,
        next_attempt_at=None if give_up else backoff,
        note=("gave up after %d attempts" % attempts if transient and give_up else "")[:255],
        modified_on=now,
        **error_fields
    )
    if done:
        return status
    values = dict(_release_values(now), **error_fields)
    if transient:
        values.update(attempts=attempts, next_attempt_at=backoff)
    _owned(item).update(**values)
    return PENDING


def release(item: MailchimpSyncItem) -> bool:
    """Give an item back unprocessed (this process is stopping): pending, due now. Owner only."""
    return bool(_owned(item).update(**_release_values(timezone.now())))


def requeue_failed(shop_id: Optional[int] = None, ids=None) -> int:
    """Resend: failed items become pending and due now, with a fresh attempt budget."""
    qs = MailchimpSyncItem.objects.filter(status=SyncStatus.FAILED)
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(status=PENDING, attempts=0, next_attempt_at=timezone.now(), version=F("version") + 1)


def requeue_switched_off(shop_id: int) -> List[int]:
    """The shop's integration is on again: what a run took while it was off (or incomplete) is resent.

    Returns the ids of the items made pending. Other failures wait for a Resend, as before.
    """
    failed = MailchimpSyncItem.objects.filter(shop_id=shop_id, status=SyncStatus.FAILED,
                                              last_error_kind=ErrorKind.CONFIGURATION)
    ids = list(failed.values_list("pk", flat=True))
    if ids:
        requeue_failed(shop_id=shop_id, ids=ids)
    return ids


# What Mailchimp holds, learnt outside an item's own processing -----------------------------------

def remember_remote(shop_id: int, kind: SyncKind, object_id: int, remote_id: str, digest: str) -> None:
    """Record the Mailchimp id of an object created on the way (an interest made for a contact's map).

    A new row is synced; an existing row keeps its status (a pending change still goes out, and
    finds the id).
    """
    lookup = dict(shop_id=shop_id, kind=kind, object_id=object_id)
    if MailchimpSyncItem.objects.filter(**lookup).update(remote_id=remote_id, fingerprint=digest):
        return
    try:
        with transaction.atomic():
            MailchimpSyncItem.objects.create(
                status=SyncStatus.SYNCED, remote_id=remote_id, fingerprint=digest, synced_on=timezone.now(), **lookup
            )
    except IntegrityError:
        MailchimpSyncItem.objects.filter(**lookup).update(remote_id=remote_id, fingerprint=digest)


def learn_state(shop_id: int, kind: SyncKind, object_id: int, updates: dict) -> None:
    """Merge what Mailchimp told us (a webhook) into an item's state. :class:`ItemBusy` while a worker
    owns the item (its finish would overwrite the state). A missing row is created, synced."""
    import json

    lookup = dict(shop_id=shop_id, kind=kind, object_id=object_id)
    row = MailchimpSyncItem.objects.filter(**lookup).values_list("pk", "state", "status").first()
    if row is None:
        try:
            with transaction.atomic():
                MailchimpSyncItem.objects.create(status=SyncStatus.SYNCED, state=dict(updates), **lookup)
            return
        except IntegrityError:
            row = MailchimpSyncItem.objects.filter(**lookup).values_list("pk", "state", "status").first()
    pk, state, status = row
    state = json.loads(state or "{}") if isinstance(state, str) else dict(state or {})
    state.update(updates)
    if SyncStatus(status) == PROCESSING or not MailchimpSyncItem.objects.filter(pk=pk).exclude(
            status=PROCESSING).update(state=state):
        raise ItemBusy("%s #%s of shop %s is being sent" % (kind.value, object_id, shop_id))


def record_with_state(shop_id: int, kind: SyncKind, object_id: int, state: dict) -> List[tuple]:
    """Record work whose input is not in Shuup any more (an erasure: the address to delete)."""
    keys = record([shop_id], kind, object_id)
    if keys:
        MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=kind, object_id=object_id).update(state=state)
    return keys


def forget_personal_data(shop_id: int, kind: SyncKind, object_id: int) -> None:
    """After an erasure: the item keeps no email, name or id of the person, whoever owns it."""
    MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=kind, object_id=object_id).update(
        state={"erased": True}, fingerprint="", remote_id="", note="anonymized in Shuup; erased from Mailchimp",
        last_error_detail="",
    )


def forget_remote(shop_id: int, kinds, remote_ids=None, keep_state_of=()) -> int:
    """Mailchimp lost these objects (a deleted interest, a new store): clear ids and fingerprints
    so the next sync creates them again. ``keep_state_of``: kinds whose ``state`` stays."""
    qs = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind__in=list(kinds))
    if remote_ids is not None:
        qs = qs.filter(remote_id__in=list(remote_ids))
    kept = qs.filter(kind__in=list(keep_state_of)).update(remote_id="", fingerprint="")
    return kept + qs.exclude(kind__in=list(keep_state_of)).update(remote_id="", fingerprint="", state={})


def forget_fingerprints(shop_id: int, kinds, object_ids=None) -> int:
    """Send these objects again on their next sync, even if unchanged (their target was recreated)."""
    qs = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind__in=list(kinds))
    if object_ids is not None:
        qs = qs.filter(object_id__in=list(object_ids))
    return qs.update(fingerprint="")


# Reading --------------------------------------------------------------------------------------------

def status_counts(shop_id=None) -> dict:
    """{(kind, status): count}, counted by the database."""
    qs = MailchimpSyncItem.objects.all()
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    rows = qs.values_list("kind", "status").annotate(n=Count("pk")).order_by()
    return {(SyncKind(kind), SyncStatus(status)): n for kind, status, n in rows}


def waiting(shop_id=None):
    """(count, earliest next attempt) of pending items waiting for their backoff."""
    from django.db.models import Min

    qs = MailchimpSyncItem.objects.filter(status=PENDING, next_attempt_at__gt=timezone.now())
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    data = qs.aggregate(n=Count("pk"), first=Min("next_attempt_at"))
    return data["n"], data["first"]


def _describe(error) -> str:
    describe = getattr(error, "describe", None)
    return describe() if describe else str(error)


# Many items at once: the full sync's batches (sync/fullsync) -------------------------------------
# A batch holds its items under one claim token for as long as Mailchimp takes over it; its
# results come back together and are written with one statement per kind of ending (executemany),
# with the same rules as claim / mark_synced / mark_error / release above.

def _in_chunks(values, size=500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _sql_now(now=None):
    return connection.ops.adapt_datetimefield_value(now or timezone.now())


def _json(state):
    """The ``state`` column's text, as its JSONField writes it (same separators; the states hold plain
    JSON types, so the field's own encoder class, slow to set up per call, is not needed)."""
    if state is None:
        return None
    import json

    return json.dumps(state, separators=(",", ":"), default=str)


def claim_many(shop_id: int, kind: SyncKind, expected: dict, token: str, lease_seconds: float,
               steal_from=()) -> dict:
    """Claim the items of these objects for a batch, under ``token``; returns what was claimed,
    {object id: {pk, version, attempts, state, fingerprint, remote_id, synced_on}}.

    ``expected``: {object id: the item's version read *before* the caller read the Shuup rows,
    or None when it had no item}. An item whose version moved since was changed after that read:
    it is given back at once (pending, due now) for the one-by-one sync to send the newer data.
    Items a worker owns (a live lease) are left alone, except those held by ``steal_from`` tokens
    (a batch of this sync whose results were lost). Missing items are created, claimed.
    """
    now = timezone.now()
    until = now + timedelta(seconds=lease_seconds)
    base = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=kind)
    free = ~Q(status=PROCESSING) | _expired(now)
    if steal_from:
        free |= Q(status=PROCESSING, claim_token__in=list(steal_from))
    existing = [oid for oid, version in expected.items() if version is not None]
    for ids in _in_chunks(existing):
        base.filter(object_id__in=ids).filter(free).update(
            status=PROCESSING, claim_token=token, claimed_until=until, modified_on=now)
    new = [oid for oid, version in expected.items() if version is None]
    if new:  # an item a receiver created meanwhile stays theirs (the insert ignores it)
        _insert_claimed(shop_id, kind, new, token, until, now)
    claimed, moved = {}, []
    for ids in _in_chunks(expected):
        rows = base.filter(object_id__in=ids, claim_token=token, status=PROCESSING).values_list(
            "pk", "object_id", "version", "attempts", "state", "fingerprint", "remote_id", "synced_on")
        for pk, oid, version, attempts, state, digest, remote_id, synced_on in rows:
            if expected[oid] is not None and version != expected[oid]:
                moved.append(pk)
                continue
            if isinstance(state, str):
                import json

                state = json.loads(state or "{}")
            claimed[oid] = dict(pk=pk, version=version, attempts=attempts, state=state or {}, fingerprint=digest,
                                remote_id=remote_id, synced_on=synced_on)
    if moved:
        release_many(token, moved)
    return claimed


_INSERT_COLUMNS = ("shop_id", "kind", "object_id", "status", "version", "claim_token", "claimed_until", "attempts",
                   "next_attempt_at", "last_error_title", "last_error_detail", "note", "fingerprint", "remote_id",
                   "state", "created_on", "modified_on")


def _insert_claimed(shop_id, kind, object_ids, token, until, now):
    """INSERT the new items, claimed, ignoring those that exist. Plain SQL: the ORM's bulk_create
    spends ~0.2 ms of Python per row here (100,000 contacts: 20 s) against ~5 us for the statement."""
    sql = "%s %s (%s) VALUES (%s)%s" % (
        connection.ops.insert_statement(ignore_conflicts=True), MailchimpSyncItem._meta.db_table,
        ", ".join(_INSERT_COLUMNS), ", ".join(["%s"] * len(_INSERT_COLUMNS)),
        connection.ops.ignore_conflicts_suffix_sql(ignore_conflicts=True))
    until, now = _sql_now(until), _sql_now(now)
    rows = [(shop_id, kind.value, oid, PROCESSING.value, 1, token, until, 0, now, "", "", "", "", "", "{}", now, now)
            for oid in object_ids]
    with transaction.atomic(), connection.cursor() as cursor:  # one commit, not one per row
        cursor.executemany(sql, rows)


def renew_many(tokens, lease_seconds: float) -> int:
    """Extend the lease of every item still held under these tokens; returns how many."""
    tokens = [t for t in tokens if t]
    if not tokens:
        return 0
    until = timezone.now() + timedelta(seconds=lease_seconds)
    return MailchimpSyncItem.objects.filter(status=PROCESSING, claim_token__in=tokens).update(claimed_until=until)


def release_many(token: str, pks=None) -> int:
    """Give items held under ``token`` back unsent (all of them, or these pks): pending, due now."""
    qs = MailchimpSyncItem.objects.filter(status=PROCESSING, claim_token=token)
    if pks is None:
        return qs.update(**_release_values(timezone.now()))
    return sum(qs.filter(pk__in=ids).update(**_release_values(timezone.now())) for ids in _in_chunks(pks))


def held_by(token: str):
    """Pks of the items still held under ``token`` (a batch's items not finished yet)."""
    return list(MailchimpSyncItem.objects.filter(status=PROCESSING, claim_token=token).values_list("pk", flat=True))


_FINISH_SQL = (
    "UPDATE {table} SET status = %s, claim_token = '', claimed_until = NULL, attempts = 0, next_attempt_at = NULL, "
    "last_error_status = NULL, last_error_title = '', last_error_detail = '', last_error_kind = NULL, note = %s, "
    "synced_on = %s, modified_on = %s, fingerprint = COALESCE(%s, fingerprint), "
    "remote_id = COALESCE(%s, remote_id), state = COALESCE(%s, state) "
    "WHERE id = %s AND status = %s AND claim_token = %s AND version = %s"
)
_REQUEUE_SQL = (
    "UPDATE {table} SET status = %s, claim_token = '', claimed_until = NULL, next_attempt_at = %s, modified_on = %s, "
    "note = %s, fingerprint = COALESCE(%s, fingerprint), remote_id = COALESCE(%s, remote_id), "
    "state = COALESCE(%s, state) WHERE id = %s AND status = %s AND claim_token = %s"
)


def finish_many(token: str, done) -> list:
    """:func:`mark_synced` for many items of one batch. ``done``: dicts with pk, version and
    optionally fingerprint, remote_id, state, note. An item changed while in flight keeps what
    we learnt and goes back to pending, due now: their pks are returned."""
    if not done:
        return []
    now = _sql_now()
    table = MailchimpSyncItem._meta.db_table
    synced = [(SyncStatus.SYNCED.value, (d.get("note") or "")[:255], now, now, d.get("fingerprint") or None,
               d.get("remote_id") or None, _json(d.get("state")), d["pk"], PROCESSING.value, token, d["version"])
              for d in done]
    requeue = [(PENDING.value, now, now, (d.get("note") or "")[:255], d.get("fingerprint") or None,
                d.get("remote_id") or None, _json(d.get("state")), d["pk"], PROCESSING.value, token) for d in done]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_FINISH_SQL.format(table=table), synced)
        changed = [pk for pks in _in_chunks([d["pk"] for d in done]) for pk in MailchimpSyncItem.objects.filter(
            pk__in=pks, status=PROCESSING, claim_token=token).values_list("pk", flat=True)]
        if changed:
            cursor.executemany(_REQUEUE_SQL.format(table=table), [r for r in requeue if r[7] in set(changed)])
    return changed


_FAIL_SQL = (
    "UPDATE {table} SET status = %s, claim_token = '', claimed_until = NULL, attempts = %s, next_attempt_at = %s, "
    "note = COALESCE(%s, note), modified_on = %s, last_error_status = %s, last_error_title = %s, last_error_detail = %s, "
    "last_error_kind = %s, state = COALESCE(%s, state), fingerprint = CASE WHEN %s = 1 THEN '' ELSE fingerprint END "
    "WHERE id = %s AND status = %s AND claim_token = %s{version}"
)


def fail_many(token: str, failed, kind: ErrorKind = ErrorKind.MAILCHIMP) -> dict:
    """:func:`mark_error` for many items of one batch. ``failed``: dicts with pk, version, attempts
    (as claimed), error (a MailchimpError), transient, and optionally state (what Mailchimp told us
    on the way, saved like :func:`save_state`: the fingerprint is cleared). Returns {pk: status}."""
    if not failed:
        return {}
    now = timezone.now()
    sql_now = _sql_now(now)
    table = MailchimpSyncItem._meta.db_table
    first, again = [], []
    for d in failed:
        error, transient = d["error"], d["transient"]
        attempts = d["attempts"] + 1
        give_up = (not transient) or attempts >= app_settings.MAX_ATTEMPTS
        backoff = _sql_now(now + timedelta(seconds=retry_delay(attempts)))
        status = SyncStatus.FAILED if give_up else PENDING
        errors = (getattr(error, "status", None), (getattr(error, "title", "") or type(error).__name__)[:255],
                  _describe(error), kind.value)
        state, learnt = _json(d.get("state")), 1 if d.get("state") is not None else 0
        note = ("gave up after %d attempts" % attempts if transient and give_up else "")[:255]
        first.append((status.value, attempts, None if give_up else backoff, note, sql_now) + errors + (
            state, learnt, d["pk"], PROCESSING.value, token, d["version"]))
        # changed while in flight: pending again (after the backoff when Mailchimp is failing)
        again.append((PENDING.value, attempts if transient else d["attempts"], backoff if transient else sql_now, None,
                      sql_now) + errors + (state, learnt, d["pk"], PROCESSING.value, token))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_FAIL_SQL.format(table=table, version=" AND version = %s"), first)
        cursor.executemany(_FAIL_SQL.format(table=table, version=""), again)
    statuses = {}
    for pks in _in_chunks([d["pk"] for d in failed]):
        statuses.update((pk, SyncStatus(status)) for pk, status in
                        MailchimpSyncItem.objects.filter(pk__in=pks).values_list("pk", "status"))
    return statuses


# Work due later: a cart waits for its basket's idle time (sync/carts.py) -------------------------

def record_due(shop_id: int, kind: SyncKind, object_id: int, due) -> List[tuple]:
    """Like :func:`record` for one shop, but the item is due at ``due`` (the basket's last change
    plus the idle time), so the periodic run sends it then. Each new change moves the time on.

    An item a worker owns is only marked changed: its owner sends it round again (due now), and
    the handler defers it (:func:`defer`) if it is not due yet.
    """
    from django.db.models import DateTimeField

    if _suppressed.get():
        return []
    now = timezone.now()
    lookup = dict(shop_id=shop_id, kind=kind, object_id=object_id)
    values = dict(_changed(now), next_attempt_at=Case(
        When(Q(status=PROCESSING), then=F("next_attempt_at")), default=Value(due), output_field=DateTimeField()))
    if not MailchimpSyncItem.objects.filter(**lookup).update(**values):
        try:
            with transaction.atomic():
                MailchimpSyncItem.objects.create(next_attempt_at=due, **lookup)
        except IntegrityError:  # created by a concurrent save
            MailchimpSyncItem.objects.filter(**lookup).update(**values)
    return [(shop_id, kind.value, object_id)]


def defer(item: MailchimpSyncItem, until) -> bool:
    """The owner gives an item back unsent because it is not due yet (a basket changed less than
    the idle time ago): pending, due at ``until``, attempts unchanged. Owner only.

    The handler then returns its outcome as usual; :func:`mark_synced` finds the item no longer
    owned and leaves it pending (the run counts it as "retrying later").
    """
    now = timezone.now()
    return bool(_owned(item).update(status=PENDING, claim_token="", claimed_until=None, next_attempt_at=until,
                                    modified_on=now))
