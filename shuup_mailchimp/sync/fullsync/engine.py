"""The full sync of one shop through Mailchimp batch operations (see the package docstring).

One thread does it all: it reads a page, plans it, claims what must go, adds the operations
to the open batch and submits the batch when it is full; while more batches than
``FULL_SYNC_MAX_PENDING`` are out it polls them, downloads the archives of finished ones and
writes their results to the items through the outbox. Reading the shop's data and Mailchimp's
processing of earlier batches overlap; polls are one request for all pending batches.
"""
import logging
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from concurrent import futures
from typing import Callable, Dict, List, Optional

from django.db import transaction
from django.utils import timezone

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.call_log import log_process
from shuup_mailchimp.client import batches as api
from shuup_mailchimp.client import client_for, ecommerce
from shuup_mailchimp.enums import BatchStatus, FullSyncStatus, SyncKind
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.models import MailchimpFullSync, MailchimpShopSettings, MailchimpSyncBatch, MailchimpSyncItem
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.fullsync import plans, runs, sources

logger = logging.getLogger("shuup_mailchimp")

PHASE_OF = {SyncKind.CONTACT: "contacts", SyncKind.PRODUCT: "products", SyncKind.ORDER: "orders"}
#: A batch whose results were lost is sent again at most this many times; then its items go one by one.
MAX_GENERATIONS = 3
#: Failed downloads of one finished batch's results before it counts as lost.
MAX_DOWNLOAD_FAILURES = 5
#: Attempts at submitting one batch when Mailchimp answers with a transient error.
SUBMIT_ATTEMPTS = 3


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


class FullSync:
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
        self.seen_progress: Dict[str, tuple] = {}
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
            self._take_page(kind, ids)
            after = ids[-1]
            if self.open is not None:
                self.open.cursor = after
            elif not self.posting:  # never past a batch Mailchimp has not confirmed yet
                cursor["after"] = after
                self._save("cursors", "counts")
            self.reporter.progress(self.run)
            self._poll(block=False)
        if self.open is not None:
            self._submit()
        self._collect_posts(block=True)
        cursor.update(after=after, done=True)
        self._save("cursors", "counts")

    def _take_page(self, kind: SyncKind, ids: List[int], steal_from=(), generation=0, resend=None):
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

    def _submit(self):
        """Hand the open batch to the network thread; its bookkeeping follows when Mailchimp took it."""
        batch, self.open = self.open, None
        row = batch.row
        if not batch.operations:
            row.delete()
            return
        row.meta = {"gen": batch.generation, "objects": batch.objects}
        row.operations = len(batch.operations)
        row.cursor = batch.cursor
        row.save(update_fields=["meta", "operations", "cursor"])
        self._wait_for_room()
        self._flag_store()
        outbox.renew_many([row.claim_token], self.lease)
        self.posting.append((self.network.submit(self._post, batch.operations), batch))
        self._collect_posts(block=False)

    def _collect_posts(self, block: bool):
        """Record the batches Mailchimp accepted, in the order they were sent (the scan cursor
        moves past a batch only once every earlier one is recorded). A failed POST stops the run."""
        while self.posting:
            future, batch = self.posting[0]
            if not (block or future.done()):
                return
            answer = future.result()
            self.posting.pop(0)
            self._submitted(batch, answer)

    def _submitted(self, batch: "_OpenBatch", answer: dict):
        row, kind = batch.row, batch.row.kind
        self.calls.flush()
        with transaction.atomic():
            row.status, row.remote_id, row.submitted_on = BatchStatus.SUBMITTED, answer["id"], timezone.now()
            row.save(update_fields=["status", "remote_id", "submitted_on"])
            MailchimpSyncBatch.objects.filter(pk__in=batch.resends).update(
                status=BatchStatus.RESENT, note="its items went again in batch %s" % answer["id"])
            if batch.cursor is not None:
                self._cursor(kind)["after"] = batch.cursor
            self._tally(kind, {"sent": len(batch.objects)})
            self._save("cursors", "counts")
        self.outstanding[row.pk] = row
        self.submitted += 1
        if self.on_batch_submitted is not None:
            self.on_batch_submitted(self.submitted)

    def _keep_accepted_batches(self):
        """Stopping: batches Mailchimp accepted are recorded, so the next run applies their results
        instead of sending their items again."""
        self.on_batch_submitted = None
        try:
            while self.posting and self.posting[0][0].exception() is None:
                future, batch = self.posting.pop(0)
                self._submitted(batch, future.result())
        except Exception:
            logger.exception("Full sync #%s: could not record the batches sent before it stopped", self.run.pk)

    def _post(self, operations) -> dict:
        """In the network thread: POST /batches, again after a transient error (no database here)."""
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            try:
                return api.submit(self.client, operations)
            except MailchimpError as exc:
                if not exc.is_transient or attempt == SUBMIT_ATTEMPTS:
                    raise
                time.sleep(min(30.0, 2.0 * attempt))

    # --- waiting for Mailchimp ----------------------------------------------------------------

    def _wait_for_room(self):
        while len(self.outstanding) + len(self.posting) >= self.max_pending:
            if self.posting and (self.posting[0][0].done() or not self.outstanding):
                self._collect_posts(block=True)
            else:
                self._poll(block=True)

    def _drain(self):
        """Until every batch of the run is applied: poll, and send the items of lost batches again."""
        while True:
            self._collect_posts(block=True)
            lost = list(MailchimpSyncBatch.objects.filter(run=self.run, status=BatchStatus.LOST).order_by("pk"))
            for row in lost:
                self._resend(row)
            if self.open is not None:
                self._submit()
            self._collect_posts(block=True)
            if not self.outstanding:
                if not MailchimpSyncBatch.objects.filter(run=self.run, status=BatchStatus.LOST).exists():
                    return
                continue
            self._poll(block=True)

    def _adopt_batches(self):
        """Batches of an earlier sitting: building ones are given up (their pages are read again),
        submitted ones are waited for."""
        for row in MailchimpSyncBatch.objects.filter(run=self.run, status=BatchStatus.BUILDING):
            outbox.release_many(row.claim_token)
            row.status, row.note = BatchStatus.RESENT, "interrupted before Mailchimp confirmed it; read again"
            row.save(update_fields=["status", "note"])
        for row in MailchimpSyncBatch.objects.filter(run=self.run, status=BatchStatus.SUBMITTED):
            self.outstanding[row.pk] = row

    def _poll(self, block: bool):
        """Apply downloaded results; when it is time, ask Mailchimp how the batches are and start
        downloading the finished ones (in the network thread). ``block``: wait for that time."""
        progressed = self._apply_fetched()
        waiting = {row.remote_id: row for row in self.outstanding.values() if row.pk not in self.fetching}
        if not waiting:
            if block and self.fetching:
                futures.wait(list(self.fetching.values()), return_when=futures.FIRST_COMPLETED)
                self._apply_fetched()
            return
        wait = self.next_poll - time.monotonic()
        if wait > 0:
            if not block or progressed:
                return
            if self.fetching:
                futures.wait(list(self.fetching.values()), timeout=wait, return_when=futures.FIRST_COMPLETED)
                if self._apply_fetched():
                    return
            wait = self.next_poll - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        infos = api.statuses(self.client, list(waiting))
        started = False
        for remote_id, row in waiting.items():
            info = infos.get(remote_id)
            if info is None:
                self._lose(row, "Mailchimp no longer knows batch %s (deleted or cancelled)" % remote_id)
            elif info.get("status") == "finished":
                url = info.get("response_body_url")
                if not url:
                    self._lose(row, "batch %s finished without a results archive" % remote_id)
                    continue
                row.errored = info.get("errored_operations") or 0
                self.fetching[row.pk] = self.network.submit(_download, self.client, url)
                started = True
        outbox.renew_many([row.claim_token for row in self.outstanding.values()], self.lease)
        self.calls.flush()
        self._save("counts", "failures")
        self.reporter.progress(self.run)
        self._schedule_poll(started, infos)

    def _schedule_poll(self, progressed: bool, infos: dict):
        now = time.monotonic()
        wait = self.poll_min if progressed else min(self.poll_max, self.poll_wait * 1.6)
        estimates = []
        for remote_id, info in infos.items():
            if not info or info.get("status") == "finished":
                continue
            done, total = info.get("finished_operations") or 0, info.get("total_operations") or 0
            before = self.seen_progress.get(remote_id)
            self.seen_progress[remote_id] = (now, done)
            if before and done > before[1]:
                rate = (done - before[1]) / max(now - before[0], 1e-3)
                estimates.append((total - done) / rate)
        if estimates:
            wait = min(estimates)
        self.poll_wait = min(self.poll_max, max(self.poll_min, wait))
        self.next_poll = now + self.poll_wait

    def _lose(self, row: MailchimpSyncBatch, why: str):
        self.fetching.pop(row.pk, None)
        row.status, row.note = BatchStatus.LOST, why[:255]
        row.save(update_fields=["status", "note"])
        self.outstanding.pop(row.pk, None)
        logger.warning("Full sync #%s: %s; its %d items are sent again", self.run.pk, why, row.operations)

    def _resend(self, row: MailchimpSyncBatch):
        generation = (row.meta or {}).get("gen", 0) + 1
        ids = sorted(int(key) for key in (row.meta or {}).get("objects", {}))
        if generation > MAX_GENERATIONS:
            self._retire_lost(row, one_by_one=True)
            return
        for start in range(0, len(ids), self.chunk):
            self._take_page(row.kind, ids[start:start + self.chunk], steal_from=(row.claim_token,),
                            generation=generation, resend=row.pk)
        outbox.release_many(row.claim_token)  # what needed nothing more (unchanged now, say)
        if row.pk not in self.resent_into:
            self._retire_lost(row)

    def _retire_lost(self, row: MailchimpSyncBatch, one_by_one=False):
        """A lost batch whose items are no longer ours to send: what it still holds goes one by one."""
        held = MailchimpSyncItem.objects.filter(claim_token=row.claim_token, status=outbox.PROCESSING)
        self.per_record_keys.extend((self.run.shop_id, row.kind.value, oid)
                                    for oid in held.values_list("object_id", flat=True))
        outbox.release_many(row.claim_token)
        row.status = BatchStatus.RESENT
        row.note = ("lost %d times: its items are sent one by one" % MAX_GENERATIONS if one_by_one else
                    "its items needed nothing more")
        row.save(update_fields=["status", "note"])

    # --- results ------------------------------------------------------------------------------

    def _apply_fetched(self) -> bool:
        """Apply the batches whose results are downloaded; True when any batch was done with."""
        progressed = False
        for pk, future in list(self.fetching.items()):
            if future.done():
                del self.fetching[pk]
                progressed = self._apply(self.outstanding[pk], future) or progressed
        if progressed:
            self.calls.flush()
            self._save("counts", "failures")
            self.reporter.progress(self.run)
        return progressed

    def _apply(self, row: MailchimpSyncBatch, fetched) -> bool:
        """Apply one finished batch's downloaded results; True when it is done with (applied or lost)."""
        try:
            results = fetched.result()
        except api.BatchResultsGone as exc:
            self._lose(row, "the results of batch %s are gone (%s)" % (row.remote_id, exc.detail))
            return True
        except MailchimpError as exc:
            if not exc.is_transient:
                raise
            self.download_failures[row.pk] += 1  # asked again at the next poll
            if self.download_failures[row.pk] >= MAX_DOWNLOAD_FAILURES:
                self._lose(row, "the results of batch %s could not be downloaded: %s" % (row.remote_id,
                                                                                        exc.describe()))
                return True
            return False
        self._record_results(row, results)
        row.status, row.finished_on = BatchStatus.APPLIED, timezone.now()
        row.save(update_fields=["status", "errored", "finished_on"])
        self.outstanding.pop(row.pk, None)
        return True

    def _record_results(self, row: MailchimpSyncBatch, results: dict):
        objects = (row.meta or {}).get("objects", {})
        held = {}
        for object_id, state in MailchimpSyncItem.objects.filter(
                claim_token=row.claim_token, status=outbox.PROCESSING).values_list("object_id", "state"):
            sent = objects.get(str(object_id))
            if sent is not None:
                held[object_id] = dict(pk=sent["pk"], version=sent["v"], attempts=sent["att"],
                                       state=_loads(state))
        applied = plans.apply_results(row.kind, objects, held, results)
        changed = set(outbox.finish_many(row.claim_token, applied.done))  # saved while in flight: sent again
        self.per_record_keys.extend((self.run.shop_id, row.kind.value, e["object_id"])
                                    for e in applied.done if e["pk"] in changed)
        statuses = outbox.fail_many(row.claim_token, applied.failed)
        handed = applied.per_record + applied.missing
        outbox.release_many(row.claim_token, [entry["pk"] for entry in handed])
        self.per_record_keys.extend((self.run.shop_id, row.kind.value, e["object_id"]) for e in handed)
        failed = [e for e in applied.failed if statuses.get(e["pk"]) == outbox.SyncStatus.FAILED]
        self._tally(row.kind, {"synced": len(applied.done), "failed": len(failed),
                               "retrying": len(applied.failed) - len(failed), "per_record": len(handed)})
        failures = self.run.failures = list(self.run.failures or [])
        for entry in applied.failed:
            failures.append({"kind": row.kind.value, "object_id": entry["object_id"],
                             "final": statuses.get(entry["pk"]) == outbox.SyncStatus.FAILED,
                             "error": entry["error"].describe()[:500]})
        del failures[:-runs.MAX_FAILURES_KEPT]


def _download(client, url) -> Dict[int, Dict[str, dict]]:
    """In the network thread: a finished batch's results, {object id: {operation id: result}}."""
    results = defaultdict(dict)
    for result in api.download_results(client, url):
        object_id = plans.object_of(result["operation_id"])
        if object_id is not None:
            results[object_id][result["operation_id"]] = result
    return results


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


def _loads(state):
    if isinstance(state, str):
        import json

        return json.loads(state or "{}")
    return state or {}
