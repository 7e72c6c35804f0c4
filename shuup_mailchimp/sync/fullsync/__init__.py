"""Full sync of an existing shop through Mailchimp batch operations, resumable.

``mailchimp_sync --shop ID --full`` and the admin's "Schedule sync" send every contact (member
with interests + eCommerce customer), every product with its variants and the order history
in a few large ``POST /batches``, instead of one request per record (two per contact).

The phases: *prepare* (store initialized, contact groups made interests), *contacts* and *products*
(no dependency between them: their batches overlap), a wait until every one of their batches is
applied (an order names its customer and products, which must exist first), *orders*, and
*finish* (the few items only the one-by-one path can do). The store is flagged ``is_syncing:
true`` (Mailchimp's automations ignore the history) before the first batch goes, and set back at
the end, when the run stops on an error or Ctrl-C, or (a killed process) by the next
``mailchimp_sync`` of the shop, whatever its options; a run with nothing to send writes nothing.

Same decisions as the incremental sync. Each object is planned with the incremental sync's own
pure helpers (``contacts.plan_contact`` with ``consent.decide``, ``payloads``,
``orders.plan_order_customer``) and compared with its item's fingerprint: unchanged objects are
not sent, so a second full sync sends nothing, and an incremental run right after a full sync
finds nothing to do. A contact already synced is decided from its item's state; a new one gets
``status_if_new`` only: a full sync never subscribes anyone without fresh permission.

The outbox stays the one writer of items. A batch's items are claimed under the batch's own
claim token (``outbox.claim_many``) with a long lease (``FULL_SYNC_LEASE``, renewed at every
poll), so a save meanwhile bumps the item's version and its result then sends it again, one by
one, and a worker never sends an item a batch holds. Results go back through
``outbox.finish_many`` / ``fail_many`` / ``release_many``: a failed operation becomes a failed
(or retrying) item with Mailchimp's own message, classified by ``client.errors``; a succeeded
one stores its fingerprint and, for a contact, the state the next decision needs.

Resumable. The run row (``MailchimpFullSync``) keeps the phase and each kind's scan cursor;
a batch row (``MailchimpSyncBatch``) is written before its items are claimed. A run that stops
(an exception, Ctrl-C, a kill) is continued by the next full sync of the shop: batches Mailchimp
accepted are polled and applied, a batch still being built is given up and its pages read again,
and nothing applied is sent twice. A batch whose results cannot be had (deleted, archive expired)
is *lost*: its items are sent again in a new batch (three times at most, then one by one).
"""
import logging
import threading
from typing import Optional

from django.db import connection, transaction

from shuup_mailchimp.sync.fullsync.engine import FullSync, LostRun, Reporter  # noqa: F401
from shuup_mailchimp.sync.fullsync.runs import FullSyncBusy, open_run, progress, recover_stale  # noqa: F401

logger = logging.getLogger("shuup_mailchimp")


def run_full_sync(shop_id: int, requested_by: str = "command", since=None, reporter: Optional[Reporter] = None,
                  on_batch_submitted=None):
    """Run the shop's full sync now, in this thread (continuing an interrupted one); returns the run.

    Raises :class:`FullSyncBusy` when another one is queued or running, and whatever stopped it
    (the run is then recorded as interrupted and the next call continues it).
    """
    run = open_run(shop_id, requested_by=requested_by, since=since)
    return FullSync(run, reporter=reporter, on_batch_submitted=on_batch_submitted).execute()


def execute_queued(run_id: int):
    """Run a queued run (the Celery task and the background thread call this). Never raises."""
    from shuup_mailchimp.sync.fullsync.runs import take_queued

    run = take_queued(run_id)
    if run is None:
        return None
    try:
        return FullSync(run).execute()
    except Exception:
        logger.exception("Mailchimp full sync #%s stopped; the next full sync of the shop continues it", run_id)
        return run


def schedule(shop_id: int, requested_by: str = ""):
    """Queue a full sync of the shop and have it run outside the request; returns the run.

    With a broker it runs in a Celery task; without one in a background thread of this process
    (``"inline"`` dispatch: right after the commit, in this thread). :class:`FullSyncBusy` when
    one is already queued or running.
    """
    run = open_run(shop_id, requested_by=requested_by, queue=True)
    transaction.on_commit(lambda: dispatch(run.pk))
    return run


def dispatch(run_id: int):
    from shuup_mailchimp.app_settings import DISPATCH_CELERY, DISPATCH_INLINE, app_settings

    mode = app_settings.DISPATCH
    if mode == DISPATCH_INLINE:
        execute_queued(run_id)
        return
    if mode == DISPATCH_CELERY:
        try:
            from shuup_mailchimp.tasks import full_sync

            full_sync.apply_async((run_id,), retry=False)
            return
        except Exception:  # no broker right now: this process does it
            logger.warning("Mailchimp full sync #%s: no Celery broker; running in a background thread", run_id,
                           exc_info=True)
    threading.Thread(target=_in_thread, args=(run_id,), name="shuup-mailchimp-full-sync", daemon=True).start()


def _in_thread(run_id):
    try:
        execute_queued(run_id)
    finally:
        connection.close()


def plan_only(shop_id: int, since=None) -> dict:
    """What a full sync would send now, per kind, without claiming or calling anything (``--dry-run``)."""
    from collections import Counter

    from shuup_mailchimp.app_settings import app_settings
    from shuup_mailchimp.models import MailchimpShopSettings
    from shuup_mailchimp.sync.fullsync import plans, sources
    from shuup_mailchimp.sync.fullsync.runs import KINDS
    from shuup_mailchimp.sync.interests import known_interest_ids

    shop_settings = MailchimpShopSettings.for_shop(shop_id)
    ctx = plans.Context(shop_settings, known_interest_ids(shop_id), sources.default_language(), since)
    report = {}
    for kind in KINDS:
        tally, after = Counter(), 0
        while True:
            ids = sources.next_ids(kind, shop_id, after, app_settings.FULL_SYNC_CHUNK_SIZE, since)
            if not ids:
                break
            plan = plans.plan_page(kind, ctx, ids)
            tally.update(plan.tally)
            tally["send"] += len(plan.send)
            tally["operations"] += sum(len(p.operations) for p in plan.send.values())
            after = ids[-1]
        report[kind.value] = dict(tally)
    return report
