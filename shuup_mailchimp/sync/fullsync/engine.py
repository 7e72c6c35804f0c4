"""The full sync of one shop through Mailchimp batch operations (see the package docstring).

The run's thread reads a page, plans it, claims what must go, adds the operations to the open
batch and hands the batch to the network thread when it is full (``pipeline``); while more
batches than ``FULL_SYNC_MAX_PENDING`` are out it polls them, and writes the results of finished
ones to the items through the outbox. Reading the shop's data and Mailchimp's processing of
earlier batches overlap; a poll is one request for all pending batches.
"""
import logging
import secrets
import threading
import time
from collections import Counter, deque
from concurrent import futures
from typing import Callable, Dict, List, Optional

from django.utils import timezone

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.call_log import log_process
from shuup_mailchimp.client import client_for, ecommerce
from shuup_mailchimp.enums import FullSyncStatus, SyncKind
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.models import MailchimpFullSync, MailchimpShopSettings, MailchimpSyncBatch
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.fullsync import plans, runs, sources
from shuup_mailchimp.sync.fullsync.pipeline import Pipeline

logger = logging.getLogger("shuup_mailchimp")

PHASE_OF = {SyncKind.CONTACT: "contacts", SyncKind.PRODUCT: "products", SyncKind.ORDER: "orders"}


class LostRun(Exception):
    """Another process took this run over (ours was silent for too long)."""


class Reporter:
    """What the command (progress bars) and tests hear from a run; every method is optional."""

    def phase(self, run, name):
        pass

    def progress(self, run):
        pass


class _OpenBatch:
    def __init__(self, row: MailchimpSyncBatch, generation: int = 0):
        self.row = row
        self.operations: List[dict] = []
        self.objects: Dict[str, dict] = {}
        self.size = 0
        self.cursor: Optional[int] = None  # the scan cursor once this batch is out (None: a resend)
        self.resends: set = set()  # lost batches whose items this one carries
        self.generation = generation


class FullSync(Pipeline):
    """One sitting of a run. ``on_batch_submitted(n)`` is called after the n-th batch of the sitting."""

    def __init__(self, run: MailchimpFullSync, reporter: Optional[Reporter] = None,
                 on_batch_submitted: Optional[Callable[[int], None]] = None):
        self.run = run
        self.shop_settings = MailchimpShopSettings.for_shop(run.shop_id)
        self.client = client_for(self.shop_settings)
        self.client.recorder = self.calls = _CallLog(self.client.recorder)
        #: One thread for the network waits (POST /batches, archive downloads): reading and planning
        #: the next pages goes on meanwhile. It makes no database call.
        self.network = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailchimp-full-sync")
        self.posting: List[tuple] = []  # (future, batch) in the order sent
        self.fetching: Dict[int, futures.Future] = {}  # batch row pk -> download
        self.reporter = reporter or Reporter()
        self.on_batch_submitted = on_batch_submitted
        self.batch_size = max(1, app_settings.FULL_SYNC_BATCH_SIZE)
        self.batch_bytes = max(1024, app_settings.FULL_SYNC_BATCH_BYTES)
        self.max_pending = max(1, app_settings.FULL_SYNC_MAX_PENDING)
        self.chunk = max(1, app_settings.FULL_SYNC_CHUNK_SIZE)
        self.lease = app_settings.FULL_SYNC_LEASE
        self.poll_min, self.poll_max = (float(x) for x in app_settings.FULL_SYNC_POLL_INTERVAL)
        self.open: Optional[_OpenBatch] = None
        self.outstanding: Dict[int, MailchimpSyncBatch] = {}
        self.download_failures: Counter = Counter()
        self.per_record_keys: List[tuple] = []
        self.resent_into: set = set()  # lost batches whose items went into a new batch in this sitting
        self.submitted = 0
        self.next_poll = 0.0
        self.poll_wait = self.poll_min
        self.poll_failures = 0  # status polls failed in a row (see pipeline.POLL_FAILURES_TOLERATED)
        self.seen_progress: Dict[str, tuple] = {}
        self.stall_clock: Dict[str, tuple] = {}  # batch id -> (since when, (finished operations, status))
        self.sitting_started = time.monotonic()
        self.elapsed_before = run.elapsed
        self.ctx: Optional[plans.Context] = None

    # --- the run ------------------------------------------------------------------------------

    def execute(self) -> MailchimpFullSync:
        """Run (or continue) the full sync to its end. Raises what stopped it, after recording it."""
        self.run.started_on = self.run.started_on or timezone.now()
        self._save("started_on")
        try:
            self._prepare()
            self._adopt_batches()
            for kind in (SyncKind.CONTACT, SyncKind.PRODUCT):  # independent: no wait between them
                self._scan(kind)
            self._drain()  # members and customers, products: all in before any order
            self._scan(SyncKind.ORDER)
            self._drain()
            self._finish()
        except LostRun:
            logger.warning("Full sync #%s was taken over by another process; this one stops", self.run.pk)
            raise
        except BaseException as exc:  # Ctrl-C and kills included: the run must say it stopped
            self.network.shutdown(wait=True)
            self._keep_accepted_batches()
            self._interrupt(exc)
            raise
        finally:
            self.network.shutdown(wait=True)
            self.calls.flush()
        return self.run

    def _prepare(self):
        from shuup_mailchimp.sync import processing
        from shuup_mailchimp.sync.interests import ensure_interests, shop_groups
        from shuup_mailchimp.sync.store import initialize_store

        self._phase("prepare")
        shop_settings = self.shop_settings
        if not shop_settings.is_active:
            raise MailchimpError(title="Configuration", detail="The Mailchimp integration of shop %s is disabled "
                                 "or has no API key / audience." % shop_settings.shop_id)
        if not shop_settings.is_initialized:
            initialize_store(shop_settings, self.client)
            shop_settings.refresh_from_db()
        # Contact groups become interests one by one (a shop has few): contacts then name them.
        for group_id in shop_groups(shop_settings.shop_id).values_list("pk", flat=True):
            outbox.record([shop_settings.shop_id], SyncKind.INTEREST, group_id)
        processing.process_due(shop_id=shop_settings.shop_id, kinds=[SyncKind.INTEREST], log=False)
        self.ctx = plans.Context(shop_settings, ensure_interests(self.client, shop_settings),
                                 sources.default_language(), self.run.since)

    def _flag_store(self):
        """``is_syncing: true`` (Mailchimp's automations ignore the history), before the first batch
        goes: a full sync that finds nothing to send writes nothing at all."""
        if not self.run.store_flagged:
            ecommerce.update_store(self.client, self.shop_settings.store_id, {"is_syncing": True})
            self.run.store_flagged = True
            self._save("store_flagged")

    def _finish(self):
        from shuup_mailchimp.sync import processing

        self._phase("finish")
        if self.per_record_keys:
            summary = processing.process_items(self.per_record_keys)
            logger.info("Full sync #%s: %d item(s) sent one by one: %s", self.run.pk, summary.total, summary)
        if self.run.store_flagged:
            ecommerce.update_store(self.client, self.shop_settings.store_id, {"is_syncing": False})
            self.run.store_flagged = False
        self.run.status, self.run.phase, self.run.finished_on = FullSyncStatus.FINISHED, "done", timezone.now()
        self.run.active_shop = None
        self._save("store_flagged", "status", "phase", "finished_on", "active_shop")
        failed = sum(runs.kind_counts(self.run, kind)["failed"] for kind in runs.KINDS)
        log_process(self.run.shop_id, "full_sync", "Full sync #%s finished: %s." % (self.run.pk, self.describe()),
                    success=not failed)
        self.reporter.progress(self.run)

    def _interrupt(self, exc: BaseException):
        text = "%s: %s" % (type(exc).__name__, exc.describe() if isinstance(exc, MailchimpError) else exc)
        try:
            if self.run.store_flagged:
                self.run.store_flagged = not runs.unflag_store(self.run.shop_id, self.client)
            self.run.status, self.run.active_shop, self.run.error = FullSyncStatus.INTERRUPTED, None, text[:2000]
            self._save("store_flagged", "status", "active_shop", "error")
            log_process(self.run.shop_id, "full_sync", "Full sync #%s interrupted in phase %s (%s); the next full "
                        "sync continues it." % (self.run.pk, self.run.phase, text[:500]), success=False)
        except LostRun:
            pass
        except Exception:
            logger.exception("Could not record the interruption of full sync #%s", self.run.pk)

    def describe(self) -> str:
        parts = []
        for kind in runs.KINDS:
            c = runs.kind_counts(self.run, kind)
            parts.append("%s: %d sent, %d synced, %d unchanged, %d skipped, %d failed" % (
                PHASE_OF[kind], c["sent"], c["synced"], c["unchanged"], c["skipped"], c["failed"]))
        return "; ".join(parts) + "; %d requests" % self.run.requests

    # --- bookkeeping --------------------------------------------------------------------------

    def _save(self, *fields):
        """Save these fields of the run, with the heartbeat; :class:`LostRun` if it is not ours any more."""
        run = self.run
        run.heartbeat_at = timezone.now()
        run.elapsed = self.elapsed_before + (time.monotonic() - self.sitting_started)
        run.requests = (run.requests or 0) + self.calls.count
        self.calls.count = 0
        values = {name: getattr(run, name) for name in set(fields) | {"heartbeat_at", "elapsed", "requests"}}
        if not MailchimpFullSync.objects.filter(pk=run.pk, runner_token=run.runner_token).update(**values):
            raise LostRun()

    def _phase(self, name):
        if self.run.phase != name:
            self.run.phase = name
            self._save("phase")
        self.reporter.phase(self.run, name)

    def _tally(self, kind: SyncKind, counter):
        counts = self.run.counts.setdefault(kind.value, {})
        for key, n in counter.items():
            counts[key] = counts.get(key, 0) + n

    def _cursor(self, kind: SyncKind) -> dict:
        return self.run.cursors.setdefault(kind.value, {"after": 0, "done": False})

    # --- scanning and batching ----------------------------------------------------------------

    def _scan(self, kind: SyncKind):
        cursor = self._cursor(kind)
        if cursor.get("done"):
            return
        self._phase(PHASE_OF[kind])
        counts = self.run.counts.setdefault(kind.value, {})
        if "total" not in counts:
            counts["total"] = sources.count(kind, self.run.shop_id, self.run.since)
            self._save("counts")
        after = cursor.get("after") or 0
        while True:
            ids = sources.next_ids(kind, self.run.shop_id, after, self.chunk, self.run.since)
            if not ids:
                break
            after = ids[-1]
            self._take_page(kind, ids, cursor=after)
            if self.open is None and not self.posting:  # never past a batch Mailchimp has not confirmed yet
                cursor["after"] = after
                self._save("cursors", "counts")
            self.reporter.progress(self.run)
            self._poll(block=False)
        if self.open is not None:
            self._submit()
        self._collect_posts(block=True)
        cursor.update(after=after, done=True)
        self._save("cursors", "counts")

    def _take_page(self, kind: SyncKind, ids: List[int], steal_from=(), generation=0, resend=None,
                   cursor: Optional[int] = None):
        """Plan a page and add what must go to the open batch. ``cursor``: a scanned page's last id,
        the open batch's cursor once the page is in it (before the batch may be submitted below:
        a batch's cursor must be past every object it carries, or a continued run reads them again)."""
        plan = plans.plan_page(kind, self.ctx, ids, own_tokens=steal_from)
        for object_id in plan.per_record:
            self.per_record_keys.extend(outbox.record([self.run.shop_id], kind, object_id))
        if plan.send:
            batch = self._open_batch(kind, generation)
            claimed = outbox.claim_many(self.run.shop_id, kind, plan.expected, batch.row.claim_token, self.lease,
                                        steal_from=steal_from)
            plan.tally["busy"] += len(plan.send) - len(claimed)
            for object_id, item in claimed.items():
                planned = plan.send[object_id]
                batch.operations.extend(planned.operations)
                batch.objects[str(object_id)] = dict(planned.meta, pk=item["pk"], v=item["version"],
                                                     att=item["attempts"])
                batch.size += planned.size
            if resend is not None and claimed:
                batch.resends.add(resend)
                self.resent_into.add(resend)
        self._tally(kind, plan.tally)
        if cursor is not None and self.open is not None:
            self.open.cursor = cursor
        if self.open is not None and (len(self.open.operations) >= self.batch_size or
                                      self.open.size >= self.batch_bytes):
            self._submit()

    def _open_batch(self, kind: SyncKind, generation: int) -> _OpenBatch:
        if self.open is not None and self.open.row.kind != kind:
            self._submit()
        if self.open is None:
            # Written before any claim: a run killed from here on finds the token again.
            row = MailchimpSyncBatch.objects.create(run=self.run, kind=kind, claim_token=secrets.token_hex(16))
            self.open = _OpenBatch(row, generation)
        self.open.generation = max(self.open.generation, generation)
        return self.open


class _CallLog:
    """The client's recorder: counts the run's requests, and writes the log rows of calls the
    network thread made from the run's own thread (a second thread must not write to the database:
    SQLite would lock, and a test's transaction would not be its)."""

    def __init__(self, inner):
        self.inner = inner
        self.owner = threading.get_ident()
        self.queued = deque()
        self.count = 0

    def __call__(self, record):
        self.count += 1
        if self.inner is None:
            return
        if threading.get_ident() == self.owner:
            self.inner(record)
        else:
            self.queued.append(record)

    def flush(self):
        while self.queued:
            self.inner(self.queued.popleft())
