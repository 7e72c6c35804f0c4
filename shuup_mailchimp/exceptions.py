"""The one exception tree of shuup_mailchimp.

Every failure of a Mailchimp call becomes a :class:`MailchimpError` subclass in ``client/``,
classified once as *transient* (retry with backoff), *permanent* (record, stop, show in
the admin) or *absent* (the resource is gone: recreate or skip). Configuration errors
subclass Django's ``ImproperlyConfigured`` and stay outside the tree so nothing swallows
them; a bad webhook is a ``SuspiciousOperation`` so Django answers 400.
"""
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation


class MailchimpError(Exception):
    """Root of every error shuup_mailchimp raises about Mailchimp."""

    #: One of "transient", "permanent", "absent"; see :mod:`shuup_mailchimp.client.errors`.
    kind = "permanent"

    def __init__(self, message="", status=None, title="", detail="", errors=None, instance=""):
        super().__init__(message or detail or title or self.__class__.__name__)
        self.status = status
        self.title = title or ""
        self.detail = detail or ""
        self.errors = errors or []
        self.instance = instance or ""

    @property
    def is_transient(self):
        return self.kind == "transient"

    def describe(self):
        """One human line: title, detail and any field errors."""
        parts = [p for p in (self.title, self.detail) if p]
        text = ": ".join(parts) or str(self)
        if self.errors:
            fields = "; ".join("%s: %s" % (e.get("field", "?"), e.get("message", "")) for e in self.errors)
            text = "%s (%s)" % (text, fields)
        return text


class MailchimpAPIError(MailchimpError):
    """Mailchimp answered with an error status (a problem-details document, usually)."""


class MailchimpTransientError(MailchimpAPIError):
    """Worth retrying later: rate limited (429), Mailchimp 5xx, time-out, dropped connection."""

    kind = "transient"


class MailchimpRateLimitError(MailchimpTransientError):
    """429, or the bodiless 403 Mailchimp sends under heavy load."""


class MailchimpConnectionError(MailchimpTransientError):
    """Mailchimp could not be reached or did not answer in time."""


class MailchimpPermanentError(MailchimpAPIError):
    """Retrying cannot help: invalid email, compliance state, bad request."""


class MailchimpAuthError(MailchimpPermanentError):
    """The API key is invalid, disabled, or for another data centre (401/403)."""


class MailchimpComplianceError(MailchimpPermanentError):
    """"Member In Compliance State" / "Forgotten Email Not Subscribed": never re-subscribe."""


class MailchimpNotFoundError(MailchimpAPIError):
    """404: the resource does not exist (any more)."""

    kind = "absent"


class MailchimpConfigurationError(ImproperlyConfigured):
    """A setting is missing or wrong. The message names the setting to fix."""


class MailchimpWebhookError(SuspiciousOperation):
    """An inbound webhook failed validation (wrong secret, malformed payload)."""
