"""Consent as one decision table: what member ``status`` we may send to Mailchimp.

Everything that can subscribe someone goes through :func:`decide`. Its inputs:

``permission``
    ``Contact.marketing_permission`` now.
``last_permission``
    The permission at the last successful sync of this contact (``None``: never synced).
``remote_status``
    The member's last known status in Mailchimp (``None``: unknown, e.g. never synced).
``opted_out``
    The *person* opted out in Mailchimp: unsubscribed themselves (email footer link, a form:
    "compliance state") or the address was cleaned. Only they can bring themselves back.
``double_opt_in``
    The permission was given by a newsletter sign-up in a shop that asks for double opt-in
    (``sync/signup.py``; false for every other change): Mailchimp, not we, subscribes them.

The rules, and why (``../shared/docs/mailchimp-api.md``, "Who unsubscribed matters"):

1. An edit never sends a status unless the permission changed. The real API lets an account
   re-subscribe a member *it* unsubscribed, and accepts ``pending -> subscribed``; a repeated
   ``subscribed`` would undo a withdrawal or confirm a double opt-in nobody clicked.
2. A subscription needs fresh permission in Shuup (``last_permission`` False -> True) after the
   last withdrawal or unsubscribe, or Mailchimp's own confirmation (``pending``, which Mailchimp
   turns into ``subscribed`` only when the person clicks its link).
3. ``pending`` stays pending until Mailchimp says otherwise (a webhook or the PUT's answer).
4. A cleaned address is never sent a status: it bounces.
5. A withdrawal unsubscribes a member who is subscribed or pending.
6. A new member (``status_if_new``) is ``subscribed`` only with permission, else ``transactional``.
7. Double opt-in: what would be ``subscribed`` (a new member, fresh permission) is ``pending``
   instead, so Mailchimp emails its confirmation; a member already subscribed is left alone.
"""
from dataclasses import dataclass
from typing import Optional

SUBSCRIBED = "subscribed"
PENDING = "pending"
UNSUBSCRIBED = "unsubscribed"
CLEANED = "cleaned"
TRANSACTIONAL = "transactional"
#: Statuses we never move a member out of by ourselves.
OPTED_OUT = {UNSUBSCRIBED, CLEANED}


@dataclass(frozen=True)
class Decision:
    status: Optional[str]  # the ``status`` to send, or None to leave the member's status alone
    status_if_new: str
    note: str = ""


def decide(permission: bool, last_permission: Optional[bool], remote_status: Optional[str],
           opted_out: bool, double_opt_in: bool = False) -> Decision:
    """The one consent decision; see the module docstring for the table."""
    if_new = (PENDING if double_opt_in else SUBSCRIBED) if permission else TRANSACTIONAL
    if remote_status == CLEANED:
        return Decision(None, if_new, "cleaned in Mailchimp (address bounces): not re-subscribed")
    if permission == last_permission:  # rule 1: an edit, not a consent change
        if permission and remote_status in OPTED_OUT:
            return Decision(None, if_new, "%s in Mailchimp: not re-subscribed" % remote_status)
        return Decision(None, if_new)
    if permission:
        if last_permission is None:  # first sync: a new member is subscribed, an existing one keeps its status
            if remote_status in OPTED_OUT:
                return Decision(None, if_new, "%s in Mailchimp: not re-subscribed" % remote_status)
            return Decision(None, if_new)
        # Rule 2: fresh permission, given after the last withdrawal (last_permission is False).
        if remote_status == PENDING:
            return Decision(None, if_new, "waiting for the person to confirm")
        if opted_out:
            return Decision(PENDING, if_new, "permission given again: re-confirmation requested")
        if double_opt_in:  # rule 7
            if remote_status == SUBSCRIBED:
                return Decision(None, if_new, "already subscribed")
            return Decision(PENDING, if_new, "double opt-in: Mailchimp asks the person to confirm")
        return Decision(SUBSCRIBED, if_new)
    # No permission now, and it changed: a withdrawal (or a first sync without permission).
    if last_permission and remote_status in (SUBSCRIBED, PENDING, None):
        return Decision(UNSUBSCRIBED, if_new, "permission withdrawn: unsubscribed")
    return Decision(None, if_new)


def after_compliance_refusal(permission: bool, last_permission: Optional[bool]) -> Decision:
    """Mailchimp answered "Member In Compliance State": the person opted out there, unknown to us.

    Decided again with that knowledge: only fresh permission may ask for a re-confirmation.
    """
    return decide(permission, last_permission, UNSUBSCRIBED, opted_out=True)
