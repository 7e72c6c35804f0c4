"""Full sync runs as rows: one at a time per shop, taken over when their process died, continued
when they were interrupted; their progress and history for the admin and the command.

- One at a time is the database's job: a queued or running run holds ``active_shop`` (unique).
- A running run renews ``heartbeat_at`` at every page and poll. One that has been silent for
  ``STALE_AFTER`` seconds died (killed, machine lost): :func:`recover_stale` marks it
  interrupted and sets the store's ``is_syncing`` back, so a crash never leaves Mailchimp's
  automations off.
- The next run of the shop continues the latest interrupted one (same row, same cursors and
  batches) instead of starting over.
"""
import secrets
from datetime import timedelta
from typing import Optional

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from shuup_mailchimp.enums import BatchStatus, FullSyncStatus, SyncKind
from shuup_mailchimp.models import MailchimpFullSync

#: Seconds without a heartbeat after which a running run is taken for dead.
STALE_AFTER = 300
#: Seconds a queued run may wait for its worker (a busy Celery queue) before it is given up.
QUEUED_STALE_AFTER = 3600
#: Kinds in the order the full sync sends them.
KINDS = (SyncKind.CONTACT, SyncKind.PRODUCT, SyncKind.ORDER)
MAX_FAILURES_KEPT = 200


class FullSyncBusy(Exception):
    """Another full sync of this shop is queued or running."""


def _stale(now) -> Q:
    return Q(status=FullSyncStatus.RUNNING, heartbeat_at__lt=now - timedelta(seconds=STALE_AFTER)) | Q(
        status=FullSyncStatus.QUEUED, heartbeat_at__lt=now - timedelta(seconds=QUEUED_STALE_AFTER))


def recover_stale(shop_id: int, unflag=True) -> int:
    """Mark runs whose process died as interrupted (and set ``is_syncing`` back); returns how many."""
    now = timezone.now()
    recovered = 0
    for run in MailchimpFullSync.objects.filter(shop_id=shop_id).filter(_stale(now)):
        if MailchimpFullSync.objects.filter(pk=run.pk, runner_token=run.runner_token, status=run.status).update(
                status=FullSyncStatus.INTERRUPTED, active_shop=None, runner_token="",
                error="Stopped without finishing (the process was killed or lost) in phase %s; the next full sync "
                      "continues it." % run.phase):
            recovered += 1
    if unflag and MailchimpFullSync.objects.filter(shop_id=shop_id, store_flagged=True, active_shop=None).exists():
        unflag_store(shop_id)
    return recovered


def unflag_store(shop_id: int, client=None) -> bool:
    """Set the store's ``is_syncing`` back to false (Mailchimp's automations on again). Never raises."""
    import logging

    from shuup_mailchimp.client import client_for, ecommerce
    from shuup_mailchimp.models import MailchimpShopSettings

    try:
        shop_settings = MailchimpShopSettings.for_shop(shop_id)
        if not (shop_settings.is_configured and shop_settings.store_id):
            return False
        ecommerce.update_store(client or client_for(shop_settings), shop_settings.store_id, {"is_syncing": False})
    except Exception:
        logging.getLogger("shuup_mailchimp").warning("Could not set is_syncing back on shop %s's store", shop_id,
                                                     exc_info=True)
        return False
    MailchimpFullSync.objects.filter(shop_id=shop_id, store_flagged=True, active_shop=None).update(
        store_flagged=False)
    return True


def active_run(shop_id: int) -> Optional[MailchimpFullSync]:
    return MailchimpFullSync.objects.filter(active_shop=shop_id).first()


def busy_message(run: Optional[MailchimpFullSync]) -> str:
    if run is None:
        return "Another full sync of this shop has just started."
    since = timezone.localtime(run.started_on or run.created_on)
    text = "A full sync of this shop is already %s (#%s, since %s, phase %s)." % (
        run.status.value, run.pk, since.strftime("%Y-%m-%d %H:%M:%S %Z"), run.phase)
    if run.heartbeat_at:
        # A killed process cannot say it stopped: say when its run counts as dead and is continued.
        quiet = STALE_AFTER if run.status == FullSyncStatus.RUNNING else QUEUED_STALE_AFTER
        dead_at = timezone.localtime(run.heartbeat_at + timedelta(seconds=quiet))
        text += (" If the process that runs it was killed, the run counts as stopped after %d s without news "
                 "(at %s) and the next full sync then continues it where it stopped." % (
                     quiet, dead_at.strftime("%H:%M:%S %Z")))
    return text


def open_run(shop_id: int, requested_by: str = "", since=None, queue: bool = False) -> MailchimpFullSync:
    """The run to do now: the latest interrupted one continued, else a new one. ``queue``: it is
    handed to a worker (status queued), else the caller runs it at once. :class:`FullSyncBusy`
    when another run of the shop is queued or running (a unique column decides, not a read)."""
    recover_stale(shop_id)
    now = timezone.now()
    values = dict(status=FullSyncStatus.QUEUED if queue else FullSyncStatus.RUNNING, active_shop=shop_id,
                  runner_token=secrets.token_hex(16), heartbeat_at=now, error="")
    latest = MailchimpFullSync.objects.filter(shop_id=shop_id).order_by("-pk").first()
    try:
        with transaction.atomic():
            if latest is not None and latest.status == FullSyncStatus.INTERRUPTED and \
                    MailchimpFullSync.objects.filter(pk=latest.pk, status=FullSyncStatus.INTERRUPTED).update(**values):
                return MailchimpFullSync.objects.get(pk=latest.pk)
            return MailchimpFullSync.objects.create(shop_id=shop_id, requested_by=requested_by[:128], since=since,
                                                    **values)
    except IntegrityError:
        raise FullSyncBusy(busy_message(active_run(shop_id)))


def take_queued(run_id: int) -> Optional[MailchimpFullSync]:
    """A worker takes a queued run (None when it is not queued any more: taken, or given up)."""
    token = secrets.token_hex(16)
    if MailchimpFullSync.objects.filter(pk=run_id, status=FullSyncStatus.QUEUED).update(
            status=FullSyncStatus.RUNNING, runner_token=token, heartbeat_at=timezone.now()):
        return MailchimpFullSync.objects.get(pk=run_id)
    return None


# Progress -----------------------------------------------------------------------------------------

DONE_KEYS = ("synced", "unchanged", "skipped", "busy", "per_record", "failed", "retrying")


def kind_counts(run, kind: SyncKind) -> dict:
    counts = dict.fromkeys(("total", "sent") + DONE_KEYS, 0)
    counts.update((run.counts or {}).get(kind.value, {}))
    counts["done"] = sum(counts[key] for key in DONE_KEYS)
    return counts


def progress(run: MailchimpFullSync) -> dict:
    """The run as the admin's progress page and the command show it (JSON-serialisable)."""
    now = timezone.now()
    kinds = []
    total = done = 0
    for kind in KINDS:
        counts = kind_counts(run, kind)
        kinds.append(dict(counts, kind=kind.value, label=str(kind.label)))
        total += counts["total"]
        done += min(counts["done"], counts["total"])
    running = run.status == FullSyncStatus.RUNNING
    # ``elapsed`` is saved with every heartbeat; add the time since the last one
    elapsed = run.elapsed + ((now - run.heartbeat_at).total_seconds() if running and run.heartbeat_at else 0)
    remaining = None
    if running and done and total > done:
        remaining = elapsed * (total - done) / done
    batches = {status.value: 0 for status in BatchStatus}
    for status, n in run.batches.values_list("status").annotate(n=Count("pk")).order_by():
        batches[BatchStatus(status).value] = n
    return {
        "id": run.pk,
        "status": run.status.value,
        "status_label": str(run.status.label),
        "phase": run.phase,
        "requested_by": run.requested_by,
        "created_on": run.created_on.isoformat() if run.created_on else None,
        "started_on": run.started_on.isoformat() if run.started_on else None,
        "finished_on": run.finished_on.isoformat() if run.finished_on else None,
        "elapsed_seconds": round(elapsed, 1),
        "remaining_seconds": round(remaining, 1) if remaining is not None else None,
        "kinds": kinds,
        "done": done,
        "total": total,
        "failures": list(run.failures or [])[-50:],
        "failed": sum(k["failed"] for k in kinds),
        "requests": run.requests,
        "batches": batches,
        "error": run.error,
    }


def history(shop_id: int, limit: int = 20):
    return list(MailchimpFullSync.objects.filter(shop_id=shop_id).order_by("-pk")[:limit])
