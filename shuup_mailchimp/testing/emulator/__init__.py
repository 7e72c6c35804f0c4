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
"""
from .faults import EmulatorDroppedConnection
from .responses_mock import mock_mailchimp
from .server import EmulatorServer
from .state import MailchimpEmulator

__all__ = ["MailchimpEmulator", "EmulatorServer", "EmulatorDroppedConnection", "mock_mailchimp"]
