"""Every row of the consent decision table (shuup_mailchimp.sync.consent.decide).

Read a row as: permission now, permission at the last sync, the member's last known status in
Mailchimp, did the person opt out there -> the ``status`` we send (None: leave it alone) and
the ``status_if_new``. The dangerous outputs are ``subscribed`` (only on fresh permission, never
over a person's own opt-out or a pending confirmation) and ``pending``.
"""
import itertools

import pytest

from shuup_mailchimp.sync.consent import after_compliance_refusal, decide

S, P, U, C, T, A = "subscribed", "pending", "unsubscribed", "cleaned", "transactional", "archived"
REMOTE = [None, S, P, U, C, T, A]

TABLE = [
    # permission, last permission, remote status, person opted out -> status, status_if_new
    # First sync: a new member follows the permission, an existing one keeps its status.
    (True, None, None, False, None, S),
    (True, None, S, False, None, S),
    (True, None, U, True, None, S),
    (False, None, None, False, None, T),
    (False, None, S, False, None, T),  # signed up through a Mailchimp form: not ours to undo
    # An edit (permission unchanged) never sends a status.
    (True, True, S, False, None, S),
    (True, True, P, False, None, S),  # pending stays pending
    (True, True, U, False, None, S),  # we unsubscribed them: only fresh permission re-subscribes
    (True, True, U, True, None, S),
    (True, True, T, False, None, S),
    (False, False, U, False, None, T),
    (False, False, T, False, None, T),
    (False, False, S, False, None, T),
    # Fresh permission (False -> True).
    (True, False, U, False, S, S),  # after our own withdrawal: the real API allows it, and so do we
    (True, False, T, False, S, S),
    (True, False, None, False, S, S),
    (True, False, A, False, S, S),
    (True, False, U, True, P, S),  # after the person's own unsubscribe: their confirmation
    (True, False, S, True, P, S),  # stale: they opted out since (cleaned webhook missed, say)
    (True, False, P, False, None, S),  # still waiting for their click: nothing to add
    (True, False, P, True, None, S),
    (True, False, C, True, None, S),  # cleaned addresses bounce: never
    (True, False, C, False, None, S),
    # Withdrawal (True -> False).
    (False, True, S, False, U, T),
    (False, True, P, False, U, T),
    (False, True, None, False, U, T),
    (False, True, U, False, None, T),
    (False, True, U, True, None, T),
    (False, True, C, True, None, T),
    (False, True, T, False, None, T),
]


@pytest.mark.parametrize("permission,last,remote,opted_out,status,if_new", TABLE)
def test_consent_table(permission, last, remote, opted_out, status, if_new):
    decision = decide(permission, last, remote, opted_out)
    assert (decision.status, decision.status_if_new) == (status, if_new)


@pytest.mark.parametrize("permission,last,remote,opted_out", list(
    itertools.product([True, False], [None, True, False], REMOTE, [True, False])))
def test_no_input_subscribes_someone_without_fresh_permission(permission, last, remote, opted_out):
    decision = decide(permission, last, remote, opted_out)
    if decision.status == S:
        assert permission and last is False and not opted_out and remote not in (P, C)
    if decision.status == P:
        assert permission and last is False and opted_out
    if not permission:
        assert decision.status in (None, U) and decision.status_if_new == T


def test_a_compliance_refusal_asks_for_confirmation_only_on_fresh_permission():
    assert after_compliance_refusal(True, False).status == P
    assert after_compliance_refusal(True, True).status is None
    assert after_compliance_refusal(True, None).status is None
    assert after_compliance_refusal(False, True).status is None


# Double opt-in for newsletter sign-ups (sync/signup.py): what would be ``subscribed`` is ``pending``,
# so Mailchimp asks the person; the rows above are the same with it off (the default input).
DOUBLE_OPT_IN_TABLE = [
    # permission, last permission, remote status, person opted out -> status, status_if_new
    (True, None, None, False, None, P),  # a new member is created pending
    (True, None, S, False, None, P),  # an existing one keeps its status
    (True, False, None, False, P, P),  # a sign-up is fresh permission: confirmation asked
    (True, False, T, False, P, P),  # a transactional member (an earlier order) signs up
    (True, False, A, False, P, P),
    (True, False, U, False, P, P),  # even after our own withdrawal
    (True, False, U, True, P, P),  # after the person's own unsubscribe: their confirmation, as always
    (True, False, S, False, None, P),  # subscribed already: never pended again
    (True, False, P, False, None, P),  # waiting for their click: nothing to add
    (True, False, C, True, None, P),  # cleaned addresses bounce: never
    (True, True, S, False, None, P),  # an edit never sends a status
    (True, True, P, False, None, P),
    (False, True, S, False, U, T),  # a withdrawal is a withdrawal
    (False, True, P, False, U, T),
    (False, None, None, False, None, T),
]


@pytest.mark.parametrize("permission,last,remote,opted_out,status,if_new", DOUBLE_OPT_IN_TABLE)
def test_double_opt_in_table(permission, last, remote, opted_out, status, if_new):
    decision = decide(permission, last, remote, opted_out, double_opt_in=True)
    assert (decision.status, decision.status_if_new) == (status, if_new)


@pytest.mark.parametrize("permission,last,remote,opted_out", list(
    itertools.product([True, False], [None, True, False], REMOTE, [True, False])))
def test_double_opt_in_never_subscribes_anyone_itself(permission, last, remote, opted_out):
    decision = decide(permission, last, remote, opted_out, double_opt_in=True)
    assert decision.status != S and decision.status_if_new != S
    if decision.status == P:
        assert permission and last is False and remote not in (P, C) and (remote != S or opted_out)
    without = decide(permission, last, remote, opted_out)
    if without.status != S:  # double opt-in changes only what would have been a subscription
        assert decision.status == without.status
