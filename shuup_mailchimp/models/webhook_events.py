"""Webhooks received from Mailchimp, stored raw *before* anything is applied (like dj-stripe's
webhook log), so a malformed or failing one can be inspected and replayed."""
from django.db import models
from django.utils.translation import ugettext_lazy as _
from enumfields import EnumField
from jsonfield import JSONField

from shuup_mailchimp.enums import WebhookStatus


class MailchimpWebhookEvent(models.Model):
    shop = models.ForeignKey("shuup.Shop", on_delete=models.CASCADE, related_name="+", verbose_name=_("shop"))
    received_on = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("received"))
    body = models.TextField(blank=True, verbose_name=_("raw body"))
    content_type = models.CharField(max_length=128, blank=True)
    digest = models.CharField(max_length=64, db_index=True, editable=False)  # sha256 of the body: duplicates
    event_type = models.CharField(max_length=32, blank=True, db_index=True, verbose_name=_("type"))
    fired_at = models.DateTimeField(null=True, blank=True, verbose_name=_("fired at"))
    email = models.CharField(max_length=254, blank=True, db_index=True, verbose_name=_("email"))
    data = JSONField(default=dict, blank=True, verbose_name=_("parsed data"))
    status = EnumField(WebhookStatus, max_length=16, default=WebhookStatus.RECEIVED, db_index=True,
                       verbose_name=_("status"))
    note = models.CharField(max_length=255, blank=True, verbose_name=_("note"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    contact_id = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("contact id"))
    processed_on = models.DateTimeField(null=True, blank=True, verbose_name=_("processed"))

    class Meta:
        verbose_name = _("Mailchimp webhook")
        verbose_name_plural = _("Mailchimp webhooks")
        ordering = ("-received_on", "-id")

    def __str__(self):
        return "%s %s (%s)" % (self.event_type or "?", self.email or "-", self.status.value)
