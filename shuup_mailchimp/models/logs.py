"""Append-only history: one row per Mailchimp call and per sync process. Secrets are redacted before saving."""
from django.db import models
from django.utils.translation import ugettext_lazy as _


class MailchimpLogEntry(models.Model):
    shop = models.ForeignKey(
        "shuup.Shop", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("shop")
    )
    created_on = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("time"))
    operation = models.CharField(max_length=64, db_index=True, verbose_name=_("operation"))
    method = models.CharField(max_length=8, blank=True, verbose_name=_("method"))
    path = models.CharField(max_length=512, blank=True, verbose_name=_("path"))
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("HTTP status"))
    duration_ms = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("duration (ms)"))
    success = models.BooleanField(default=True, db_index=True, verbose_name=_("success"))
    error_title = models.CharField(max_length=255, blank=True, verbose_name=_("error"))
    error_detail = models.TextField(blank=True, verbose_name=_("error detail"))
    object_kind = models.CharField(max_length=32, blank=True, db_index=True, verbose_name=_("object"))
    object_id = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("object id"))
    message = models.TextField(blank=True, verbose_name=_("message"))

    class Meta:
        verbose_name = _("Mailchimp log entry")
        verbose_name_plural = _("Mailchimp log entries")
        ordering = ("-created_on", "-id")

    def __str__(self):
        return "%s %s %s -> %s" % (self.operation, self.method, self.path, self.status_code or "-")
