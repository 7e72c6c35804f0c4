import pytest

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.exceptions import MailchimpConfigurationError


def test_defaults_overrides_and_conversion(settings):
    assert app_settings.MAX_ATTEMPTS == 6
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = "3"
    assert app_settings.MAX_ATTEMPTS == 3


def test_missing_setting_error_names_it(settings):
    settings.SHUUP_MAILCHIMP_API_URL = None
    with pytest.raises(MailchimpConfigurationError, match="SHUUP_MAILCHIMP_API_URL"):
        app_settings.require("API_URL")
    with pytest.raises(MailchimpConfigurationError, match="SHUUP_MAILCHIMP_NOPE"):
        app_settings.get("NOPE")


def test_in_process_follows_the_broker_unless_set(settings):
    settings.SHUUP_MAILCHIMP_RUN_IN_PROCESS = None
    settings.CELERY_BROKER_URL = None
    assert app_settings.RUN_IN_PROCESS is True
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert app_settings.RUN_IN_PROCESS is False
    settings.SHUUP_MAILCHIMP_RUN_IN_PROCESS = True
    assert app_settings.RUN_IN_PROCESS is True
