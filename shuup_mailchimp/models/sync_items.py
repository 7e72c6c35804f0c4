"""The outbox: one row per (shop, kind, Shuup object), the source of truth of what Mailchimp must get.

A row is both the object's sync state and its place in the queue. Recording work on an
object that already has a row turns that row back to *pending* and bumps ``version``;
a burst of ten saves therefore makes one row and one API write. A worker that finishes
an item only marks it synced if ``version`` is still the one it read, so a change that
arrives while an item is being sent is never lost.
"""
from django.db import models
from django.utils.translation import ugettext_lazy as _
from enumfields import EnumField
from jsonfield import JSONField

from shuup_mailchimp.enums import ErrorKind, SyncKind, SyncStatus


class MailchimpSyncItem(models.Model):
    shop = models.ForeignKey("shuup.Shop", on_delete=models.CASCADE, related_name="+", verbose_name=_("shop"))
    kind = EnumField(SyncKind, max_length=16, verbose_name=_("kind"))
    object_id = models.PositiveIntegerField(verbose_name=_("object id"))
    # Indexed only through (status, next_attempt_at) below: every contact save updates these
    # columns, and each extra index is another page to write on the shop's request path.
    status = EnumField(SyncStatus, max_length=16, default=SyncStatus.PENDING, verbose_name=_("status"))
    version = models.PositiveIntegerField(default=1, editable=False)
    # The worker that owns a "processing" item, and until when; see sync/outbox.py.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt"))
    last_error_status = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("error HTTP status"))
    last_error_title = models.CharField(max_length=255, blank=True, verbose_name=_("error"))
    last_error_detail = models.TextField(blank=True, verbose_name=_("error detail"))
    last_error_kind = EnumField(ErrorKind, max_length=16, null=True, blank=True, verbose_name=_("error source"))
    note = models.CharField(
        max_length=255, blank=True, verbose_name=_("note"), help_text=_("Why an item was skipped or ended as it did.")
    )
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    remote_id = models.CharField(max_length=64, blank=True, verbose_name=_("Mailchimp id"))
    # What we last told / learnt from Mailchimp (e.g. a member's status, the consent we sent).
    state = JSONField(default=dict, blank=True, editable=False)
    created_on = models.DateTimeField(auto_now_add=True, editable=False)
    modified_on = models.DateTimeField(auto_now=True, editable=False)
    synced_on = models.DateTimeField(null=True, blank=True, verbose_name=_("last synced"))

    class Meta:
        verbose_name = _("Mailchimp sync item")
        verbose_name_plural = _("Mailchimp sync items")
        unique_together = [("shop", "kind", "object_id")]
        index_together = [("status", "next_attempt_at")]

    def __str__(self):
        return "%s #%s (shop %s): %s" % (self.kind.value, self.object_id, self.shop_id, self.status.value)

    @property
    def last_error(self):
        if not (self.last_error_title or self.last_error_detail):
            return ""
        status = "%s " % self.last_error_status if self.last_error_status else ""
        return "%s%s: %s" % (status, self.last_error_title, self.last_error_detail)
