"""mailchimp3's own log lines, made safe to keep.

mailchimp3 (``mailchimp3/mailchimpclient.py``, ``MailChimpClient._make_request``) logs on the
``mailchimp3.client`` logger, at INFO, every request's URL, its whole JSON body ("PAYLOAD: {...}":
customers' emails and names, the webhook URL with the shop's secret token) and the answer's
status. ``shuup_mailchimp.quiet_payload_logging`` raises that logger to WARNING, but not when
``DEBUG`` is on or a project set the logger's level itself (the demo's ``LOGGING`` tells people to
set INFO to debug a payload). So this filter, on that logger, always:

- moves those lines to DEBUG: personal data never reaches INFO and above;
- removes secrets from them (API-key shaped strings, the token of a webhook URL), at every level.

It hides no error: mailchimp3 logs none (it raises), and the client records every failed call.
"""
import logging
import re

from shuup_mailchimp.client.redaction import redact

SDK_LOGGER = "mailchimp3.client"
#: The secret token of our webhook URL (``shuup_mailchimp.urls``), wherever it is written.
WEBHOOK_TOKEN = re.compile(r"(mailchimp/webhook/\d+/)[A-Za-z0-9_\-]+")


class SDKLogFilter(logging.Filter):
    """Demote mailchimp3's INFO lines to DEBUG and redact secrets from them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        try:
            message = record.getMessage()
        except Exception:  # a broken format: keep the record as it is
            return True
        record.msg, record.args = WEBHOOK_TOKEN.sub(r"\1***", redact(message)), ()
        return True


def install() -> None:
    """Put the filter on mailchimp3's logger once (idempotent)."""
    sdk_logger = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(f, SDKLogFilter) for f in sdk_logger.filters):
        sdk_logger.addFilter(SDKLogFilter())
