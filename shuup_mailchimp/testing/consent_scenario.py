"""A scripted consent scenario against the emulator, from the dangerous side.

1. The shop withdraws a contact's consent, then the contact is edited.
2. A person unsubscribes in Mailchimp (email link), then their contact is edited.
3. A person who unsubscribed themselves gives consent again in the shop, then is edited.
4. A contact changes email while Mailchimp fails every PATCH, then Mailchimp recovers.

After each step it checks that nobody is subscribed who should not be and that an old address
is never left subscribed. Used by ``tests/test_consent_scenario.py`` (emulator in-process) and
``bench/consent_scenario.py`` (emulator as an HTTP server on loopback). Runs in the caller's
database; every step processes the outbox as an operator's ``mailchimp_sync`` would.
"""
import contextlib
import hashlib
import json
from typing import Callable, List


def _status(emulator, audience_id, email):
    members = emulator.snapshot()["lists"][audience_id]["members"]
    member = members.get(hashlib.md5(email.strip().lower().encode()).hexdigest())
    return member["status"] if member else None


@contextlib.contextmanager
def failing_patches(emulator):
    """Every PATCH answers 503 until the block ends (Mailchimp partly down)."""
    real = emulator.handle

    def handle(method, path, query, headers, body):
        if method.upper() == "PATCH" and path.startswith("/3.0/"):
            problem = {"type": "about:blank", "title": "Service Unavailable", "status": 503,
                       "detail": "Emulated outage of PATCH.", "instance": ""}
            return 503, {"Content-Type": "application/problem+json"}, json.dumps(problem).encode()
        return real(method, path, query, headers, body)

    emulator.handle = handle
    try:
        yield
    finally:
        emulator.handle = real


def run(emulator, shop_settings, say: Callable[[str], None] = print) -> List[str]:
    """Play the scenario; return the problems found (empty: consent held everywhere)."""
    from shuup.core.models import PersonContact

    from shuup_mailchimp.sync.processing import process_due

    audience = shop_settings.audience_id
    problems = []

    def sync():
        process_due(ignore_backoff=True, log=False)

    def expect(email, allowed, step):
        status = _status(emulator, audience, email)
        verdict = "ok" if status in allowed else "PROBLEM"
        say("  %-34s %-13s (allowed: %s) %s" % (email, status, "/".join(str(a) for a in allowed), verdict))
        if status not in allowed:
            problems.append("%s: %s is %s, allowed %s" % (step, email, status, allowed))

    def contact(email):
        person = PersonContact.objects.create(first_name="Scenario", last_name="Person", email=email,
                                              marketing_permission=True)
        person.add_to_shop(shop_settings.shop)
        sync()
        return person

    say("1. the shop withdraws consent, then the contact is edited")
    one = contact("withdrawn@mailbox.org")
    one.marketing_permission = False
    one.save()
    sync()
    one.first_name = "Edited"
    one.save()
    sync()
    expect(one.email, ["unsubscribed"], "step 1")

    say("2. the person unsubscribes in Mailchimp, then the contact is edited")
    two = contact("self.unsub@mailbox.org")
    emulator.unsubscribe_as_person(audience, two.email)
    two.first_name = "Edited"
    two.save()
    sync()
    expect(two.email, ["unsubscribed"], "step 2")

    say("3. consent given again in the shop after a self-unsubscribe, then an edit")
    two.marketing_permission = False
    two.save()
    sync()
    two.marketing_permission = True
    two.save()
    sync()
    expect(two.email, ["pending"], "step 3 (re-confirmation asked)")
    two.last_name = "Edited again"
    two.save()
    sync()
    expect(two.email, ["pending"], "step 3 (an edit does not confirm for them)")

    say("4. an email change while Mailchimp fails every PATCH, then recovery")
    four = contact("old.address@mailbox.org")
    with failing_patches(emulator):
        four.email = "new.address@mailbox.org"
        four.save()
        sync()
        expect("old.address@mailbox.org", ["subscribed"], "step 4 during the outage (not moved yet)")
        expect("new.address@mailbox.org", [None], "step 4 during the outage")
        four.marketing_permission = False  # and they withdraw while the outage lasts
        four.save()
        sync()
    sync()
    expect("old.address@mailbox.org", [None, "unsubscribed"], "step 4 after recovery")
    expect("new.address@mailbox.org", ["unsubscribed"], "step 4 after recovery")
    say("problems: %d" % len(problems))
    return problems
