"""The commands say what happened and never leave a trap: an unchecked key never replaces a saved
one, failures exit non-zero, waiting items are reported with their time, progress bars only on
a terminal, ``--shop 0`` lists the shops, errors in words; and mailchimp3's payload lines stay
out of the logs."""
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from shuup.testing import factories

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem

from .conftest import API_KEY

OTHER_KEY = "fedcba9876543210fedcba9876543210-us1"
DOWN = "http://127.0.0.1:9/3.0/"  # nothing listens on the discard port: connection refused


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _fresh_active_shops():
    from shuup_mailchimp.sync.outbox import forget_active_shops

    forget_active_shops()


def test_configure_keeps_the_saved_key_when_the_new_one_cannot_be_checked(shop_settings, settings):
    settings.SHUUP_MAILCHIMP_API_URL = DOWN
    with pytest.raises(CommandError) as info:
        run("mailchimp_configure", "--shop", str(shop_settings.shop_id), "--api-key", OTHER_KEY)
    text = str(info.value)
    assert "Nothing saved" in text and "--no-check" in text and "the connection was refused" in text
    assert "HTTPConnectionPool" not in text
    assert MailchimpShopSettings.for_shop(shop_settings.shop).api_key == API_KEY
    run("mailchimp_configure", "--shop", str(shop_settings.shop_id), "--api-key", OTHER_KEY, "--no-check")
    assert MailchimpShopSettings.for_shop(shop_settings.shop).api_key == OTHER_KEY


def test_the_admin_form_keeps_the_saved_key_too(shop_settings, settings):
    from shuup_mailchimp.admin_module.forms import MailchimpShopSettingsForm

    settings.SHUUP_MAILCHIMP_API_URL = DOWN
    form = MailchimpShopSettingsForm(
        instance=shop_settings,
        data={"enabled": "on", "api_key": OTHER_KEY, "audience_id": shop_settings.audience_id,
              "conflict_policy": "remote", "send_transactional": "on"})
    assert not form.is_valid()
    assert "saved value stays in use" in " ".join(form.errors["api_key"])
    shop_settings.refresh_from_db()
    assert shop_settings.api_key == API_KEY


def test_check_command_says_unreachable_in_words(shop_settings, settings):
    settings.SHUUP_MAILCHIMP_API_URL = DOWN
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("mailchimp_check", "--shop", str(shop_settings.shop_id), stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "Mailchimp could not be reached at %s: the connection was refused" % DOWN in text
    assert "HTTPConnectionPool" not in text and "Errno" not in text


def test_shop_zero_lists_the_shops(shop_settings):
    factories.get_shop(identifier="second", domain="second.example-shop.com", name="Second shop")
    out, _err = run("mailchimp_status", "--shop", "0")
    assert "Second shop" in out and "Mailchimp not configured" in out
    assert "syncing on, audience %s" % shop_settings.audience_id in out
    out, _err = run("mailchimp_sync", "--shop", "0")
    assert "Second shop" in out


def test_sync_reports_waiting_items_and_when_and_draws_no_bar_off_a_terminal(initialized, emulator):
    emulator.fault_rate = 1.0
    contact = factories.create_random_person(locale="en_US")
    contact.email = "waiting.one@mailbox.org"
    contact.save()
    contact.add_to_shop(initialized.shop)
    MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT, object_id=contact.pk).update(status=SyncStatus.PENDING)
    out, err = run("mailchimp_sync", "--shop", str(initialized.shop_id), "--keep-backoff")
    emulator.fault_rate = 0.0
    assert "waiting for their next attempt" in out and "the first is due at" in out
    assert "item/s" not in err and "%|" not in err  # tqdm writes nothing into a log


def test_sync_exits_non_zero_and_names_the_kind_as_the_admin_does(initialized, emulator):
    from shuup_mailchimp.management.commands.mailchimp_sync import _kind_words

    bad = factories.create_random_person(locale="en_US")
    bad.email = "someone@example.com"  # Mailchimp refuses example.com addresses
    bad.save()
    bad.add_to_shop(initialized.shop)
    with pytest.raises(CommandError, match="items failed"):
        run("mailchimp_sync", "--shop", str(initialized.shop_id), "--all")
    assert _kind_words("interest #3: Boom") == "contact group #3: Boom"


def test_demo_command_exits_non_zero_when_items_failed(monkeypatch):
    from shuup_mailchimp.testing.management.commands import mailchimp_demo

    assert mailchimp_demo.exit_code({"failed": 2}) == 1 and mailchimp_demo.exit_code({"failed": 0}) == 0


def test_mailchimp3_payload_logging_is_quiet_unless_debug(settings):
    from shuup_mailchimp import MAILCHIMP3_LOGGER, quiet_payload_logging

    sdk_logger = logging.getLogger(MAILCHIMP3_LOGGER)
    old = sdk_logger.level
    try:
        sdk_logger.setLevel(logging.NOTSET)
        settings.DEBUG = True
        quiet_payload_logging()
        assert sdk_logger.level == logging.NOTSET
        settings.DEBUG = False
        quiet_payload_logging()
        assert sdk_logger.level == logging.WARNING
        assert not sdk_logger.isEnabledFor(logging.INFO)  # "PAYLOAD: {...}" lines are INFO
        sdk_logger.setLevel(logging.INFO)  # a project that asks for them in LOGGING keeps them
        quiet_payload_logging()
        assert sdk_logger.level == logging.INFO
    finally:
        sdk_logger.setLevel(old)


def test_status_names_kinds_as_the_admin_does(shop_settings):
    MailchimpSyncItem.objects.create(shop=shop_settings.shop, kind=SyncKind.INTEREST, object_id=5,
                                     status=SyncStatus.FAILED, last_error_title="Boom")
    out, _err = run("mailchimp_status", "--shop", str(shop_settings.shop_id))
    assert "contact group" in out and "Failed: contact group #5" in out
    assert "\ninterest " not in out
