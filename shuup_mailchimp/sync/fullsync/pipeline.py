"""The full sync's batches between submission and results (a mixin of ``engine.FullSync``).

Submitting, waiting, downloading and applying: POSTs and archive downloads run in the run's
network thread, everything that touches the database in the run's own thread. A batch is recorded
as submitted only once Mailchimp accepted it, in the order they were sent, so the scan cursor never
moves past a batch that might not exist; a batch whose results cannot be had is *lost* and its
items go again in a new batch (``MAX_GENERATIONS`` times at most, then one by one).
"""
import logging
import time
from collections import defaultdict
from concurrent import futures
from typing import Dict

from django.db import transaction
from django.utils import timezone

from shuup_mailchimp.client import batches as api
from shuup_mailchimp.enums import BatchStatus
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.models import MailchimpSyncBatch, MailchimpSyncItem
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.fullsync import plans, runs

logger = logging.getLogger("shuup_mailchimp")

#: A batch whose results were lost is sent again at most this many times; then its items go one by one.
MAX_GENERATIONS = 3
#: Failed downloads of one finished batch's results before it counts as lost.
MAX_DOWNLOAD_FAILURES = 5
#: Attempts at submitting one batch when Mailchimp answers with a transient error.
SUBMIT_ATTEMPTS = 3
#: Seconds a batch may show no progress at all before it is taken for stuck: it is cancelled
#: (``DELETE /batches/{id}``) and its items are sent again in a new batch.
STALLED_AFTER = 3 * 3600
#: Status polls in a row that may fail with a transient error (a 5xx, a dropped connection) before
#: the run stops (an interrupted run is continued by the next full sync). Found by the fault soak:
#: one dropped poll stopped the whole run.
POLL_FAILURES_TOLERATED = 10


class Pipeline:
    """Needs from the run: ``run``, ``client``, ``calls``, ``network``, ``posting``, ``fetching``,
    ``outstanding`` and the settings read in ``FullSync.__init__``; ``_save``, ``_tally``,
    ``_cursor``, ``_take_page``, ``_flag_store``."""

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
        try:
            infos = api.statuses(self.client, list(waiting))
        except MailchimpError as exc:
            self.poll_failures += 1
            if not exc.is_transient or self.poll_failures > POLL_FAILURES_TOLERATED:
                raise
            logger.info("Full sync #%s: a batch status poll failed (%s); polling again later",
                        self.run.pk, exc.describe())
            outbox.renew_many([row.claim_token for row in self.outstanding.values()], self.lease)
            self._schedule_poll(False, {})
            return
        self.poll_failures = 0
        started = False
        for remote_id, row in waiting.items():
            info = infos.get(remote_id)
            if info is None:
                self._lose(row, "Mailchimp no longer knows batch %s (deleted or cancelled)" % remote_id)
            elif self._stalled(remote_id, info):
                api.delete(self.client, remote_id)
                self._lose(row, "batch %s made no progress for %d s: cancelled" % (remote_id, STALLED_AFTER))
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
            self.seen_progress[remote_id] = (now, done, info.get("status"))
            if before and done > before[1]:
                rate = (done - before[1]) / max(now - before[0], 1e-3)
                estimates.append((total - done) / rate)
        if estimates:
            wait = min(estimates)
        self.poll_wait = min(self.poll_max, max(self.poll_min, wait))
        self.next_poll = now + self.poll_wait

    def _stalled(self, remote_id: str, info: dict) -> bool:
        """No progress (status, finished operations) since ``STALLED_AFTER`` seconds ago."""
        if info.get("status") == "finished":
            return False
        now = time.monotonic()
        state = (info.get("finished_operations") or 0, info.get("status"))
        since = self.stall_clock.get(remote_id)
        if since is None or since[1] != state:
            self.stall_clock[remote_id] = (now, state)
            return False
        return now - since[0] >= STALLED_AFTER

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


def _loads(state):
    if isinstance(state, str):
        import json

        return json.loads(state or "{}")
    return state or {}
