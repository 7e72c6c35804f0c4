"""A faithful local emulator of the Mailchimp Marketing API v3 (see ``state.py`` for the design)."""
from .faults import EmulatorDroppedConnection
from .responses_mock import mock_mailchimp
from .server import EmulatorServer
from .state import MailchimpEmulator

__all__ = ["MailchimpEmulator", "EmulatorServer", "EmulatorDroppedConnection", "mock_mailchimp"]
