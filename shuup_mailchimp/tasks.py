"""Dispatch of outbox work after commit, and the Celery tasks (thin wrappers over
:mod:`shuup_mailchimp.sync.processing`).

The outbox in the database is the source of truth, so a broker outage or a dead process loses
nothing: the periodic ``process_due`` task, the background worker's periodic run (or
``manage.py mailchimp_sync``) sends whatever is due. ``SHUUP_MAILCHIMP_DISPATCH`` says how work
leaves the request: a Celery task, the process's background thread (:mod:`shuup_mailchimp.runner`,
the default without a broker), or synchronously after commit ("inline", for tests).
"""
import logging
import time

from celery import shared_task

from shuup_mailchimp import runner
from shuup_mailchimp.app_settings import DISPATCH_BACKGROUND, DISPATCH_INLINE, app_settings

logger = logging.getLogger("shuup_mailchimp")


def beat_schedule(interval=None):
    """The periodic tasks, ``process_due`` every ``interval`` (``SHUUP_MAILCHIMP_PROCESS_INTERVAL``) seconds."""
    if interval is None:
        interval = app_settings.PROCESS_INTERVAL
    schedule = {
        "shuup-mailchimp-process-due": {"task": "shuup_mailchimp.process_due", "schedule": float(interval)},
        "shuup-mailchimp-cleanup-logs": {"task": "shuup_mailchimp.cleanup_logs", "schedule": 24 * 3600.0},
        # Promo codes whose campaign started or ended by its dates (no save tells us): every 5 min at most.
        "shuup-mailchimp-promo-windows": {"task": "shuup_mailchimp.promo_windows",
                                          "schedule": max(float(interval), 300.0)},
    }
    if app_settings.CAMPAIGN_IMPORT_INTERVAL:
        schedule["shuup-mailchimp-import-campaigns"] = {"task": "shuup_mailchimp.import_campaigns",
                                                        "schedule": float(app_settings.CAMPAIGN_IMPORT_INTERVAL)}
    if app_settings.RECONCILE_INTERVAL:
        schedule["shuup-mailchimp-reconcile"] = {"task": "shuup_mailchimp.reconcile",
                                                 "schedule": float(app_settings.RECONCILE_INTERVAL)}
    return schedule


def __getattr__(name):
    #: ``BEAT_SCHEDULE``: merge into ``CELERY_BEAT_SCHEDULE`` (the demo project's Celery app does).
    #: Read on access, so it follows ``SHUUP_MAILCHIMP_PROCESS_INTERVAL``; needs Django settings.
    if name == "BEAT_SCHEDULE":
        return beat_schedule()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


#: A backlog of at least this many due items makes ``process_due`` fan out (``PARALLEL_DRAINS``).
FAN_OUT_MIN_ITEMS = 50


@shared_task(name="shuup_mailchimp.process_due", ignore_result=True)
def process_due(shop_id=None, part=None):
    """Send what is due and settled. The kick after a save, beat's periodic run, and the drains it fans out.

    A first drain (``part`` None) that finds a backlog enqueues ``PARALLEL_DRAINS - 1`` sibling
    drains; drain ``k`` of ``n`` starts on the items whose id is ``k`` modulo ``n``, then helps with
    the rest (the outbox's claims keep every item to one owner). Items still inside their quiet
    period get one more kick, ``TASK_COUNTDOWN`` seconds later.
    """
    from shuup_mailchimp.sync.processing import process_due as run

    if part is None:
        part = _fan_out(shop_id)
    summary = run(shop_id=shop_id, settle=True, part=tuple(part) if part else None)
    if summary.settling and (not part or part[0] == 0):  # one kick, from the first drain
        _kick(shop_id)
    return str(summary)


def _fan_out(shop_id):
    """Enqueue the sibling drains of a big backlog; returns this drain's part (or None)."""
    drains = app_settings.PARALLEL_DRAINS or 1
    if drains <= 1:
        return None
    from shuup_mailchimp.sync import outbox

    if outbox.due_count(shop_id, at_most=FAN_OUT_MIN_ITEMS) < FAN_OUT_MIN_ITEMS:
        return None
    started = 0
    for k in range(1, drains):
        try:
            process_due.apply_async((shop_id, (k, drains)), retry=False)
            started += 1
        except Exception:  # no broker: this drain does it all
            logger.warning("Could not enqueue a parallel Mailchimp drain; this one carries on alone", exc_info=True)
            break
    return (0, drains) if started else None


def _kick(shop_id=None):
    try:
        process_due.apply_async((shop_id,), countdown=_countdown(), retry=False)
    except Exception:
        logger.warning("Mailchimp work stays queued for the periodic run", exc_info=True)


def _countdown():
    # A little past the quiet period, so the item saved just now is settled when the kick runs.
    quiet = app_settings.TASK_COUNTDOWN or 0
    return quiet + 0.05 if quiet else 0


@shared_task(name="shuup_mailchimp.process_webhook", ignore_result=True)
def process_webhook(event_id):
    from shuup_mailchimp.sync.inbound import process_received

    return str(process_received())


@shared_task(name="shuup_mailchimp.reconcile", ignore_result=True)
def reconcile():
    from shuup_mailchimp.sync.reconcile import report_drift_of_active_shops

    return report_drift_of_active_shops()


@shared_task(name="shuup_mailchimp.full_sync", ignore_result=True)
def full_sync(run_id):
    """A full sync queued from the admin (see sync/fullsync); an interrupted one is continued later."""
    from shuup_mailchimp.sync.fullsync import execute_queued

    run = execute_queued(run_id)
    return str(run) if run is not None else "not queued any more"


@shared_task(name="shuup_mailchimp.import_campaigns", ignore_result=True)
def import_campaigns():
    """Daily: every enabled shop's campaigns and changing reports; its chosen groups' tags re-checked."""
    from shuup_mailchimp.sync.campaigns import import_for_active_shops
    from shuup_mailchimp.sync.segments import refresh_active_shops

    refresh_active_shops()
    return import_for_active_shops()


@shared_task(name="shuup_mailchimp.promo_windows", ignore_result=True)
def promo_windows():
    """Record the promo codes whose campaign started, ended or was used up; the next run sends them.
    (Idle carts need no task of their own: their items are due when idle, and process_due sends them.)"""
    from shuup_mailchimp.sync.promos import record_availability_changes

    return len(record_availability_changes())


@shared_task(name="shuup_mailchimp.cleanup_logs", ignore_result=True)
def cleanup_logs():
    from shuup_mailchimp.sync.maintenance import delete_old_log_entries

    return delete_old_log_entries()


_last_kick = {"at": -1e9}


def schedule(keys) -> bool:
    """Called after commit by the receivers. Never raises: the items stay pending in the outbox.

    - background (no broker): wake this process's worker thread, which sends what has gone
      unchanged for ``TASK_COUNTDOWN`` seconds; the request pays for setting an Event, nothing more;
    - celery: one delayed ``process_due`` "kick" per ``TASK_COUNTDOWN`` seconds and process is
      enough: it runs once the quiet period is over and takes everything recorded before it (an
      item changed meanwhile waits for its own quiet period: the run kicks again), so a burst of
      saves costs one publish and one write, and a save inside the window costs no broker round
      trip at all (measured: 2.1 ms per publish to Redis);
    - inline: send these items now, in this thread.

    True when a run that takes these items is now known to come (woken or kicked); False when
    they were sent here (inline) or stay for the periodic run (an error, a process exiting).
    """
    try:
        mode = app_settings.DISPATCH
        if mode == DISPATCH_BACKGROUND:
            return runner.wake()
        if mode == DISPATCH_INLINE:
            from shuup_mailchimp.sync.processing import process_items as run

            run(list(keys))
            return False
        now = time.monotonic()
        window = app_settings.TASK_COUNTDOWN
        if now - _last_kick["at"] < window:
            return True  # the kick already queued runs after this commit and sees these items (or re-kicks)
        _last_kick["at"] = now
        process_due.apply_async(countdown=_countdown(), retry=False)
        return True
    except Exception:
        logger.warning("Mailchimp work for %s stays queued for the periodic run", keys, exc_info=True)
        return False


def schedule_webhook(event_id):
    """Called after the webhook view's commit. Never raises: the stored event waits for the next run."""
    try:
        mode = app_settings.DISPATCH
        if mode == DISPATCH_BACKGROUND:
            runner.wake()
        elif mode == DISPATCH_INLINE:
            from shuup_mailchimp.sync.inbound import process_received

            process_received()
        else:
            process_webhook.apply_async((event_id,), retry=False)
    except Exception:
        logger.warning("Mailchimp webhook %s stays stored for the periodic run", event_id, exc_info=True)
