"""Testing tools of shuup_mailchimp: a faithful local emulator of the Mailchimp Marketing API v3.

Add ``shuup_mailchimp.testing`` to INSTALLED_APPS for the ``mailchimp_emulator`` and
``mailchimp_demo`` management commands. The emulator itself needs no Django.
"""
default_app_config = "shuup_mailchimp.testing.apps.ShuupMailchimpTestingAppConfig"

from .emulator import EmulatorDroppedConnection, EmulatorServer, MailchimpEmulator, mock_mailchimp  # noqa: E402

__all__ = ["MailchimpEmulator", "EmulatorServer", "EmulatorDroppedConnection", "mock_mailchimp"]
