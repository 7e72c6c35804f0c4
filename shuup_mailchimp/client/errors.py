"""Turn every failure of a Mailchimp call into our exception tree, classified once.

Closed by default: a status this module does not know is a *permanent* failure (recorded
and shown), never silence and never an endless retry.
"""
from typing import Optional

import requests
from mailchimp3.mailchimpclient import MailChimpError

from shuup_mailchimp.exceptions import (
    MailchimpAPIError,
    MailchimpAuthError,
    MailchimpComplianceError,
    MailchimpConnectionError,
    MailchimpError,
    MailchimpNotFoundError,
    MailchimpPermanentError,
    MailchimpRateLimitError,
    MailchimpTransientError,
)

TRANSIENT_STATUSES = {408, 425, 500, 502, 503, 504, 520, 521, 522, 524}
#: Titles after which Mailchimp will never accept a subscribe from us.
COMPLIANCE_TITLES = {"Member In Compliance State", "Forgotten Email Not Subscribed"}


#: ``r.json()`` failing: requests >= 2.27 raises this (a ``RequestException`` *and* a ``ValueError``).
_JSON_ERRORS = tuple(getattr(requests.exceptions, name) for name in ("JSONDecodeError", "InvalidJSONError")
                     if hasattr(requests.exceptions, name))


class UnexpectedAnswer(ValueError):
    """Mailchimp (or something in front of it) answered 2xx with a body that is no JSON object."""


def error_from_exception(exc: BaseException, status: Optional[int] = None) -> MailchimpError:
    """Map a mailchimp3 / requests / decoding exception onto :mod:`shuup_mailchimp.exceptions`.

    ``status``: the HTTP status seen on the wire, if any (an error answer whose body mailchimp3
    could not read is classified by it).
    """
    if isinstance(exc, MailchimpError):
        return exc
    if isinstance(exc, _JSON_ERRORS) or (isinstance(exc, (ValueError, TypeError))
                                         and not isinstance(exc, requests.exceptions.RequestException)):
        # Checked before RequestException: a body that is not JSON came from a server that answered.
        if status is not None and status >= 400:
            return error_from_problem(status, {}, has_body=False)
        return MailchimpTransientError(status=status, title="Unexpected answer",
                                       detail="Mailchimp's answer was not a JSON object.")
    if isinstance(exc, requests.exceptions.Timeout):
        return MailchimpConnectionError(title="Timeout", detail="Mailchimp did not answer in time (%s)." % exc)
    if isinstance(exc, requests.exceptions.RequestException):
        return MailchimpConnectionError(
            title="Connection failed", detail="Mailchimp could not be reached: %s" % _short(exc)
        )
    if isinstance(exc, MailChimpError):
        data = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        response = data.get("response")
        status = getattr(response, "status_code", None) or _int(data.get("status"))
        return error_from_problem(status, data, has_body="title" in data or "detail" in data)
    return MailchimpPermanentError(title=type(exc).__name__, detail=_short(exc))


def error_from_problem(status: Optional[int], problem: dict, has_body: bool = True) -> MailchimpAPIError:
    """Classify one problem-details document (also used for batch operation results)."""
    title = str(problem.get("title") or "")
    detail = str(problem.get("detail") or "")
    fields = dict(
        status=status,
        title=title or ("HTTP %s" % status if status else "Error"),
        detail=detail,
        errors=problem.get("errors") or [],
        instance=problem.get("instance") or "",
    )
    if status == 429 or (status == 403 and not has_body):
        # Mailchimp sends a bodiless 403 when rate limiting at high volume (as mc-woocommerce treats it).
        fields.setdefault("detail", "Too many requests")
        return MailchimpRateLimitError(**fields)
    if status in (401, 403):
        return MailchimpAuthError(**fields)
    if status == 404:
        return MailchimpNotFoundError(**fields)
    if status in TRANSIENT_STATUSES and title != "Compliance Related":
        return MailchimpTransientError(**fields)
    if title in COMPLIANCE_TITLES:
        return MailchimpComplianceError(**fields)
    return MailchimpPermanentError(**fields)


def is_already_exists(error: MailchimpError) -> bool:
    """Mailchimp's 400 for a duplicate id ("... already exists in the account.")."""
    return error.status == 400 and "already exists" in (error.detail or "")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _short(exc, limit=300):
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 1] + "…"
