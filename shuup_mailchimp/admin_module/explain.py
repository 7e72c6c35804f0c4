"""Errors in words: what happened, Mailchimp's own message (once), and what to do about it.

Rows store Mailchimp's answer as it came (``last_error_title``, ``last_error_detail`` and the
HTTP status); this module turns them into sentences for the admin, the contact section and
the commands. Network failures carry urllib3's text ("HTTPConnectionPool(...): Max retries
exceeded ... [Errno 111] Connection refused"); that becomes "the connection was refused",
and the raw text is kept only as the technical detail.
"""
import re
from dataclasses import dataclass

from django.utils.translation import ugettext as _

from shuup_mailchimp.enums import ErrorKind

TRANSIENT_STATUSES = {408, 425, 500, 502, 503, 504, 520, 521, 522, 524}
NETWORK_TITLES = {"Connection failed", "Timeout"}
COMPLIANCE_TITLES = {"Member In Compliance State", "Forgotten Email Not Subscribed"}
_GAVE_UP = re.compile(r"gave up after (\d+) attempts")
_WAITING = re.compile(r"^Waiting for (\w+) #(\d+)$")


def network_reason(text: str) -> str:
    """urllib3 / requests error text -> a short reason a shop owner can act on."""
    lowered = (text or "").lower()
    if "connection refused" in lowered or "errno 111" in lowered:
        return _("the connection was refused (nothing answers at that address)")
    if any(s in lowered for s in ("failed to resolve", "name or service not known", "name resolution",
                                  "nodename nor servname", "getaddrinfo failed", "no address associated")):
        return _("the server name could not be found (DNS)")
    if "timed out" in lowered or "timeout" in lowered or "did not answer in time" in lowered:
        return _("no answer in time")
    if any(s in lowered for s in ("remotedisconnected", "connection aborted", "connection reset",
                                  "closed connection", "dropped")):
        return _("the connection was closed without an answer")
    if "ssl" in lowered or "certificate" in lowered:
        return _("the secure connection (TLS) failed")
    if "network is unreachable" in lowered or "no route to host" in lowered:
        return _("the network is unreachable")
    return _("a network error")


def clean_detail(title: str, detail: str) -> str:
    """The detail without the title repeated in front of it ("Invalid Resource: Invalid Resource: ...")."""
    title, detail = (title or "").strip(), (detail or "").strip()
    while title and detail.startswith(title):
        rest = detail[len(title):].lstrip()
        if not rest.startswith(":") and rest:
            break
        detail = rest[1:].strip() if rest.startswith(":") else rest
    return detail


def mailchimp_message(status, title: str, detail: str) -> str:
    """Mailchimp's answer on one line: "400 Invalid Resource: x looks fake or invalid ...", each part once."""
    detail = clean_detail(title, detail)
    head = " ".join(p for p in (str(status) if status else "", title or "") if p)
    return "%s: %s" % (head, detail) if head and detail else (head or detail)


@dataclass
class Explanation:
    """One failure, explained."""

    headline: str  #: what happened, in words
    message: str  #: Mailchimp's own message (or ours), each part once; "" for network failures
    advice: str  #: what to do about it
    technical: str = ""  #: the raw text, when the headline paraphrases it
    retried: bool = False  #: sent again by itself (transient)

    def one_line(self) -> str:
        parts = [self.headline]
        if self.message:
            parts.append(self.message)
        return " ".join(parts)


def explain(status=None, title="", detail="", kind=None, note="") -> Explanation:
    """Explain a failure given as the columns of a sync item (or a log row)."""
    title = title or ""
    message = mailchimp_message(status, title, detail)
    gave_up = _GAVE_UP.search(note or "")
    result = _explain(status, title, clean_detail(title, detail), kind, message)
    if gave_up:
        result.advice = _(
            "It was tried %(n)s times and then given up. Press Resend once the cause is gone."
        ) % {"n": gave_up.group(1)}
        result.retried = False
    return result


def _explain(status, title, detail, kind, message) -> Explanation:
    if kind == ErrorKind.CONFIGURATION:
        return Explanation(
            _("The Mailchimp integration of this shop is switched off or incomplete."), detail,
            _("Enable it and enter the API key and audience on the shop's Mailchimp tab, then resend."))
    if kind == ErrorKind.INTERNAL:
        return Explanation(
            _("An error in the Mailchimp addon itself (not Mailchimp's answer)."), message,
            _("It is tried again a few times. The server log has the details; report it if it stays."),
            retried=True)
    if kind == ErrorKind.DATABASE:
        return Explanation(_("A database error on the shop's side."), message,
                           _("Nothing to do: it is tried again by itself."), retried=True)
    waiting = _WAITING.match(title)
    if waiting:
        return Explanation(
            _("Waiting for a related item (%(kind)s #%(id)s) to be sent first.") % {
                "kind": waiting.group(1), "id": waiting.group(2)}, detail,
            _("Nothing to do: it follows once that one is in Mailchimp."), retried=True)
    if not status and title in NETWORK_TITLES:
        return Explanation(
            _("Mailchimp could not be reached: %(reason)s.") % {"reason": network_reason(detail or title)}, "",
            _("Nothing to do while it lasts: it is tried again by itself. If it lasts, check the server's "
              "network, proxy and SHUUP_MAILCHIMP_API_URL."),
            technical=detail, retried=True)
    if status == 429 or title == "Too Many Requests":
        return Explanation(_("Mailchimp asked to slow down (too many requests at once)."), message,
                           _("Nothing to do: it is tried again by itself."), retried=True)
    if status in TRANSIENT_STATUSES or title == "Unexpected answer":
        return Explanation(_("Mailchimp had a temporary problem."), message,
                           _("Nothing to do: it is tried again by itself."), retried=True)
    if status in (401, 403) or title in ("API Key Invalid", "API Key Missing"):
        return Explanation(
            _("Mailchimp refused the API key."), message,
            _("Paste a working key on the shop's Mailchimp tab, check the connection, then resend."))
    if status == 404:
        return Explanation(
            _("Mailchimp does not have what this refers to (deleted there?)."), message,
            _("Run Initialize store to create the store and interests again, then resend."))
    if title in COMPLIANCE_TITLES:
        return Explanation(
            _("The person unsubscribed or was removed in Mailchimp, and Mailchimp does not let the shop "
              "subscribe them again."), message,
            _("Nothing to do: they can sign up again themselves, through a Mailchimp form."))
    lowered = detail.lower()
    if status == 400 and ("email" in lowered or "looks fake" in lowered):
        return Explanation(
            _("Mailchimp refused the email address."), message,
            _("Correct the email address in Shuup; the change is sent by itself."))
    if status == 400:
        return Explanation(_("Mailchimp refused the data."), message,
                           _("Correct what the message names in Shuup, then resend."))
    return Explanation(_("The sync failed."), message, _("Read the message, fix the cause, then resend."))


def explain_item(item) -> Explanation:
    return explain(item.last_error_status, item.last_error_title, item.last_error_detail, item.last_error_kind,
                   item.note)


#: Notes the sync writes, in words (the others are shown as they are).
def note_text(note: str) -> str:
    if not note:
        return ""
    known = {
        "unchanged": _("up to date: nothing new to send"),
        "created": _("created"),
        "renamed": _("renamed"),
        "contact has no email address": _("not sent: the contact has no email address"),
        "contact deleted in Shuup; nothing sent": _("not sent: the contact was deleted in Shuup"),
        "order deleted in Shuup": _("not sent: the order was deleted in Shuup"),
        "product deleted in Shuup": _("not sent: the product was deleted in Shuup"),
        "no marketing permission; transactional contacts are not sent":
            _("not sent: no marketing permission, and contacts without it are not sent"),
        "paid": _("sent: paid"),
        "pending": _("sent: payment pending"),
        "refunded": _("sent: refunded"),
        "cancelled": _("sent: cancelled"),
    }
    return known.get(note, note)


_INNER = re.compile(r"\((.*)\)\.?$", re.S)


def _inner(problem: str) -> str:
    """"Mailchimp refused the API key (401 API Key Invalid: ...)." -> the part in parentheses."""
    match = _INNER.search(problem or "")
    return match.group(1) if match else (problem or "")


def explain_report(report, base_url="") -> list:
    """A connection check (``sync.connection.ConnectionReport``) as translated lines; the first says
    what is wrong (or that all is well), the next what to do. urllib3's text never appears."""
    from shuup_mailchimp.sync import connection as c

    if report.ok:
        return [_("Connected to Mailchimp account %(account)s, audience %(audience)s.") % {
            "account": report.account_name, "audience": report.audience_name}]
    cause = report.cause
    if cause == c.CAUSE_NO_KEY:
        return [_("No Mailchimp API key is saved for this shop."),
                _("What to do: paste the key on the shop's Mailchimp tab (Mailchimp: Profile > Extras > API keys).")]
    if cause == c.CAUSE_KEY:
        message = clean_detail("", _inner(report.problem))
        return [_("Mailchimp refused the API key (%(message)s).") % {"message": message},
                _("What to do: copy the key again from Mailchimp (Profile > Extras > API keys). It looks like "
                  "<32 hex digits>-us6; the part after the dash is the data centre and must stay.")]
    if cause == c.CAUSE_NETWORK:
        return [_("Mailchimp could not be reached at %(url)s: %(reason)s.") % {
                    "url": base_url or _("its address"), "reason": network_reason(report.problem)},
                _("What to do: nothing is lost, the shop's changes wait and are sent once Mailchimp answers. If "
                  "it lasts, check the server's network and proxy, and SHUUP_MAILCHIMP_API_URL if it is set.")]
    if cause == c.CAUSE_UNAVAILABLE:
        return [_("Mailchimp is having trouble right now (%(message)s).") % {"message": _inner(report.problem)},
                _("What to do: try again in a few minutes; the shop's changes wait meanwhile.")]
    if cause == c.CAUSE_AUDIENCE:
        audiences = ", ".join("%s (%s)" % (a.get("id"), a.get("name")) for a in report.audiences) or _("none")
        if "no audience" in (report.problem or ""):
            first = _("The API key works (account %(account)s) but no audience is chosen.") % {
                "account": report.account_name}
        else:
            first = _("The audience of this shop does not exist in account %(account)s.") % {
                "account": report.account_name}
        return [first, _("What to do: set the audience id on the shop's Mailchimp tab to one of: %(audiences)s.") % {
            "audiences": audiences}]
    return [_("Mailchimp answered with an error: %(message)s") % {"message": _inner(report.problem)}]
