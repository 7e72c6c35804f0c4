"""Check connection: what the shop owner sees when pressing the button or running ``mailchimp_check``."""
from dataclasses import dataclass, field
from typing import List

from shuup_mailchimp.call_log import log_process
from shuup_mailchimp.client import account, client_for
from shuup_mailchimp.exceptions import (
    MailchimpAuthError,
    MailchimpConnectionError,
    MailchimpError,
    MailchimpNotFoundError,
    MailchimpTransientError,
)


#: Why a check failed. ``network`` and ``unavailable`` are passing troubles; the others need a fix.
CAUSE_NO_KEY, CAUSE_KEY, CAUSE_NETWORK, CAUSE_UNAVAILABLE, CAUSE_AUDIENCE, CAUSE_OTHER = (
    "no_key", "key", "network", "unavailable", "audience", "other")
TRANSIENT_CAUSES = {CAUSE_NETWORK, CAUSE_UNAVAILABLE}


@dataclass
class ConnectionReport:
    ok: bool
    cause: str = ""
    account_name: str = ""
    audience_name: str = ""
    problem: str = ""
    hint: str = ""
    audiences: List[dict] = field(default_factory=list)

    def lines(self):
        if self.ok:
            return ["Connected to Mailchimp account %r, audience %r." % (self.account_name, self.audience_name)]
        out = ["Problem: %s" % self.problem]
        if self.hint:
            out.append("What to do: %s" % self.hint)
        for audience in self.audiences:
            out.append("  audience %s  %s" % (audience.get("id"), audience.get("name")))
        return out


def check_connection(shop_settings) -> ConnectionReport:
    report = _check(shop_settings)
    log_process(
        shop_settings.shop_id,
        "check_connection",
        " ".join(report.lines()),
        success=report.ok,
    )
    return report


def _check(shop_settings) -> ConnectionReport:
    if not shop_settings.api_key:
        return ConnectionReport(False, CAUSE_NO_KEY, problem="No API key is configured.",
                                hint="Paste your Mailchimp API key.")
    try:
        client = client_for(shop_settings)
        info = account.get_account(client)
    except MailchimpAuthError as exc:
        return ConnectionReport(False, CAUSE_KEY, problem="Mailchimp refused the API key (%s)." % exc.describe(),
                                hint=_KEY_HINT)
    except MailchimpConnectionError as exc:
        return ConnectionReport(
            False,
            CAUSE_NETWORK,
            problem="Mailchimp could not be reached at %s (%s)." % (_base(shop_settings), exc.describe()),
            hint="Check the server's network and proxy settings, or SHUUP_MAILCHIMP_API_URL if it is set.",
        )
    except MailchimpTransientError as exc:
        return ConnectionReport(
            False,
            CAUSE_UNAVAILABLE,
            problem="Mailchimp is having trouble right now (%s)." % exc.describe(),
            hint="Try again in a few minutes; Mailchimp's status page tells about outages.",
        )
    except MailchimpError as exc:
        return ConnectionReport(False, CAUSE_OTHER, problem="Mailchimp answered with an error: %s" % exc.describe())
    name = info.get("account_name", "")
    if not shop_settings.audience_id:
        return ConnectionReport(
            False,
            CAUSE_AUDIENCE,
            account_name=name,
            problem="The API key works (account %r) but no audience is chosen." % name,
            hint="Set the audience id to one of these:",
            audiences=_audiences(client),
        )
    try:
        audience = account.get_audience(client, shop_settings.audience_id)
    except MailchimpNotFoundError:
        return ConnectionReport(
            False,
            CAUSE_AUDIENCE,
            account_name=name,
            problem="Audience %r does not exist in account %r." % (shop_settings.audience_id, name),
            hint="Set the audience id to one of these:",
            audiences=_audiences(client),
        )
    except MailchimpError as exc:
        cause = CAUSE_UNAVAILABLE if exc.is_transient else CAUSE_OTHER
        problem = "Could not read the audience: %s" % exc.describe()
        return ConnectionReport(False, cause, account_name=name, problem=problem)
    return ConnectionReport(True, account_name=name, audience_name=audience.get("name", ""))


_KEY_HINT = (
    "Copy the key again from Mailchimp (Profile > Extras > API keys). It looks like <32 hex digits>-us6; "
    "the part after the dash is your data centre and must be part of the key."
)


def _base(shop_settings):
    from shuup_mailchimp.client import api_base_url

    return api_base_url(shop_settings.api_key)


def _audiences(client):
    try:
        return account.list_audiences(client)
    except MailchimpError:
        return []
