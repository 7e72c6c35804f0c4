"""A faithful local emulator of the Mailchimp Marketing API v3, as used through mailchimp3 3.0.21.

Usage::

    emu = MailchimpEmulator(fault_rate=0.0, seed=None, latency=0.0, max_concurrent=10)
    with mock_mailchimp("https://us1.api.mailchimp.test", emu):   # in-process, via `responses`
        ...
    server = EmulatorServer(emu, port=0).start()                   # or real loopback HTTP
    python -m shuup_mailchimp.testing.emulator --port 8765         # or a process (also manage.py)

Modules: ``state`` (store, auth, faults, dispatch; the design notes), ``http`` (problem details,
pagination, fields), ``members``, ``lists``, ``segments``, ``stores`` (stores, customers, promos),
``ecommerce`` (products, orders, carts), ``batches``, ``campaigns``, ``webhooks`` (outgoing),
``faults``, ``control`` (``/_emulator/`` routes), ``server``, ``responses_mock``, ``cli``.
Where the emulator might differ from the real API the real API wins; guesses are marked "Guess".

Faults: ``fault_rate`` of the ``/3.0/`` requests get one of ``fault_kinds`` (seeded): by default
429, 500, 503 or a dropped connection, all before the request is handled (nothing applied);
``emu.fault_kinds = [..., "applied_drop"]`` adds a write applied and then its connection dropped
before the answer. ``emu.faults.counts`` counts them by kind.

Consent: who unsubscribed a member matters, as on the real service (see ``members``). A member
the person unsubscribed (unsubscribe link, form) or that was cleaned is in compliance state: an
API ``status: subscribed`` gives 400 "Member In Compliance State", ``pending`` is accepted. A
member the account unsubscribed through the API may be set back to ``subscribed`` through the
API, and so may a ``pending`` one. To act as the person (or the mail system) in a test::

    emu.unsubscribe_as_person(list_id, email, campaign_id="", reason="manual")  # footer link
    emu.clean_member(list_id, email, reason="hard")         # bounce ("abuse": spam complaint)
    emu.subscribe_as_person(list_id, email, merges=None)    # form sign-up / confirmation click

Each queues the matching webhook (``unsubscribe`` source ``user``, ``cleaned``, ``subscribe``);
out of process use ``POST /_emulator/members/{unsubscribe,clean,subscribe}`` (see ``control``).
``snapshot()`` shows who unsubscribed a member as ``unsubscribed_by`` ("person", "admin", "api",
"bounce"); API responses never include it.
"""
from .faults import EmulatorDroppedConnection
from .responses_mock import mock_mailchimp
from .server import EmulatorServer
from .state import MailchimpEmulator

__all__ = ["MailchimpEmulator", "EmulatorServer", "EmulatorDroppedConnection", "mock_mailchimp"]
