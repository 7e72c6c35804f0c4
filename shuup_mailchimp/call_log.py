"""Writes ``MailchimpLogEntry`` rows: one per API call (from the client) and one per process."""
import logging

from shuup_mailchimp.client.redaction import redact

logger = logging.getLogger("shuup_mailchimp")


def record_call(record, secrets=()):
    """Recorder for :class:`shuup_mailchimp.client.base.MailchimpClient`: one row per call."""
    from shuup_mailchimp.models import MailchimpLogEntry

    error = record.error
    context = record.context
    try:
        MailchimpLogEntry.objects.create(
            shop_id=context.get("shop_id"),
            operation=record.operation[:64],
            method=record.method,
            path=redact(record.path, secrets)[:512],
            status_code=record.status_code,
            duration_ms=record.duration_ms,
            success=error is None,
            error_title=redact(error.title, secrets)[:255] if error else "",
            error_detail=redact(error.describe(), secrets) if error else "",
            object_kind=context.get("object_kind", "")[:32],
            object_id=context.get("object_id"),
        )
    except Exception:  # the log must never break a sync (e.g. a broken transaction)
        logger.exception("Could not write the Mailchimp log row for %s", record.operation)


def log_process(shop_id, operation, message, success=True, error=None, object_kind="", object_id=None):
    """A row for a process (initialize store, a sync run, a resend) rather than a single call."""
    from shuup_mailchimp.models import MailchimpLogEntry

    secrets = shop_secrets(shop_id)
    MailchimpLogEntry.objects.create(
        shop_id=shop_id,
        operation=operation[:64],
        success=success,
        error_title=redact(error.title if error else "", secrets)[:255],
        error_detail=redact(error.describe(), secrets) if error else "",
        object_kind=object_kind,
        object_id=object_id,
        message=redact(message, secrets),
    )


def shop_secrets(shop_id) -> list:
    """The shop's API key and webhook token: a process message may quote the webhook URL
    ("webhook registered at https://.../<token>/") or an error that echoes it."""
    from shuup_mailchimp.models import MailchimpShopSettings

    if shop_id is None:
        return []
    row = MailchimpShopSettings.objects.filter(shop_id=shop_id).values_list("api_key", "webhook_secret").first()
    return [value for value in (row or ()) if value]


def log_configuration(shop_settings, source: str, changed=()) -> None:
    """A row for a settings change: which fields changed and the resulting state (never the key)."""
    fields = ", ".join(sorted(changed)) or "nothing"
    log_process(
        shop_settings.shop_id,
        "configure",
        "Settings saved from %s (changed: %s). Enabled=%s, audience=%s, key=%s, store=%s." % (
            source, fields, shop_settings.enabled, shop_settings.audience_id or "-",
            shop_settings.masked_api_key or "-", shop_settings.store_id or "-"),
    )
