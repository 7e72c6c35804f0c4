"""Full sync runs and the Mailchimp batches they submitted (see :mod:`shuup_mailchimp.sync.fullsync`).

A run row is the run's memory: the phase it is in, how far each kind's scan got (``cursors``),
its counts and failures. A batch row is written *before* its items are claimed, so every claim
token in flight is known: a run that was killed finds them again and either applies their
results or sends their items again.

One running run per shop is a database rule, not a check: ``active_shop`` holds the shop id
while a run is queued or running and is unique (NULLs are not), so a second insert fails.
"""
from django.db import models
from django.utils.translation import ugettext_lazy as _
from enumfields import EnumField
from jsonfield import JSONField

from shuup_mailchimp.enums import BatchStatus, FullSyncStatus, SyncKind


class MailchimpFullSync(models.Model):
    shop = models.ForeignKey("shuup.Shop", on_delete=models.CASCADE, related_name="+", verbose_name=_("shop"))
    status = EnumField(FullSyncStatus, max_length=16, default=FullSyncStatus.QUEUED, verbose_name=_("status"))
    #: The shop id while the run is queued or running, else NULL: unique, so one at a time per shop.
    active_shop = models.PositiveIntegerField(null=True, blank=True, unique=True, editable=False)
    #: The process running it; a run whose heartbeat stopped is taken over by the next one.
    runner_token = models.CharField(max_length=32, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    phase = models.CharField(max_length=16, default="queued", verbose_name=_("phase"))
    requested_by = models.CharField(max_length=128, blank=True, verbose_name=_("requested by"))
    since = models.DateTimeField(null=True, blank=True, verbose_name=_("orders since"))
    #: {kind: last object id scanned}: a resumed run goes on from there.
    cursors = JSONField(default=dict, blank=True, editable=False)
    #: {kind: {"total": n, "sent": n, "synced": n, "unchanged": n, ...}}
    counts = JSONField(default=dict, blank=True, editable=False)
    #: The latest failures, [{kind, object_id, error}] (capped; the items keep every one).
    failures = JSONField(default=list, blank=True, editable=False)
    #: HTTP requests made to Mailchimp (batches, polls, downloads, the rest).
    requests = models.PositiveIntegerField(default=0, editable=False)
    #: The store was set ``is_syncing: true`` by this run and not set back yet.
    store_flagged = models.BooleanField(default=False, editable=False)
    error = models.TextField(blank=True, verbose_name=_("error"))
    created_on = models.DateTimeField(auto_now_add=True, editable=False, verbose_name=_("created on"))
    started_on = models.DateTimeField(null=True, blank=True, verbose_name=_("started on"))
    finished_on = models.DateTimeField(null=True, blank=True, verbose_name=_("finished on"))
    #: Seconds spent running, over every resumption (the wall time of one sitting is in the log).
    elapsed = models.FloatField(default=0.0, editable=False)

    class Meta:
        verbose_name = _("Mailchimp full sync")
        verbose_name_plural = _("Mailchimp full syncs")
        ordering = ("-pk",)

    def __str__(self):
        return "Full sync #%s of shop %s: %s (%s)" % (self.pk, self.shop_id, self.status.value, self.phase)


class MailchimpSyncBatch(models.Model):
    run = models.ForeignKey(MailchimpFullSync, on_delete=models.CASCADE, related_name="batches")
    kind = EnumField(SyncKind, max_length=16, verbose_name=_("kind"))
    status = EnumField(BatchStatus, max_length=16, default=BatchStatus.BUILDING, verbose_name=_("status"))
    #: The claim token of the batch's items (see ``sync/outbox.py``).
    claim_token = models.CharField(max_length=32, editable=False)
    remote_id = models.CharField(max_length=64, blank=True, verbose_name=_("Mailchimp batch id"))
    operations = models.PositiveIntegerField(default=0, verbose_name=_("operations"))
    errored = models.PositiveIntegerField(default=0, verbose_name=_("errored operations"))
    #: {object id: what to record when its operations succeed} (versions, fingerprints, ...).
    meta = JSONField(default=dict, blank=True, editable=False)
    #: The scan cursor once this batch is submitted.
    cursor = models.PositiveIntegerField(null=True, blank=True, editable=False)
    note = models.CharField(max_length=255, blank=True, verbose_name=_("note"))
    created_on = models.DateTimeField(auto_now_add=True, editable=False)
    submitted_on = models.DateTimeField(null=True, blank=True)
    finished_on = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Mailchimp batch")
        verbose_name_plural = _("Mailchimp batches")
        index_together = [("run", "status")]

    def __str__(self):
        return "Batch %s (%s, %d operations): %s" % (self.remote_id or "-", self.kind.value, self.operations,
                                                     self.status.value)
