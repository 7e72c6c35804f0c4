import pytest

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.exceptions import MailchimpConfigurationError


def test_defaults_overrides_and_conversion(settings):
    from shuup_mailchimp import settings as defaults

    assert app_settings.MAX_ATTEMPTS == defaults.SHUUP_MAILCHIMP_MAX_ATTEMPTS
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = "3"
    assert app_settings.MAX_ATTEMPTS == 3


def test_missing_setting_error_names_it(settings):
    settings.SHUUP_MAILCHIMP_API_URL = None
    with pytest.raises(MailchimpConfigurationError, match="SHUUP_MAILCHIMP_API_URL"):
        app_settings.require("API_URL")
    with pytest.raises(MailchimpConfigurationError, match="SHUUP_MAILCHIMP_NOPE"):
        app_settings.get("NOPE")


def test_dispatch_follows_the_broker_unless_set(settings):
    settings.SHUUP_MAILCHIMP_DISPATCH = None
    settings.CELERY_BROKER_URL = None
    assert app_settings.DISPATCH == "background"  # what a new user without a broker gets
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert app_settings.DISPATCH == "celery"
    settings.SHUUP_MAILCHIMP_DISPATCH = "inline"
    assert app_settings.DISPATCH == "inline"
    settings.SHUUP_MAILCHIMP_DISPATCH = "background"
    assert app_settings.DISPATCH == "background"
    settings.SHUUP_MAILCHIMP_DISPATCH = "threads"
    with pytest.raises(MailchimpConfigurationError, match="SHUUP_MAILCHIMP_DISPATCH"):
        app_settings.DISPATCH


def test_run_in_process_is_a_deprecated_alias(settings):
    from shuup_mailchimp.checks import check_settings

    settings.SHUUP_MAILCHIMP_DISPATCH = None
    settings.CELERY_BROKER_URL = None
    settings.SHUUP_MAILCHIMP_RUN_IN_PROCESS = True
    assert app_settings.DISPATCH == "inline"
    settings.SHUUP_MAILCHIMP_RUN_IN_PROCESS = False
    assert app_settings.DISPATCH == "celery"
    assert "shuup_mailchimp.W003" in {problem.id for problem in check_settings()}
    settings.SHUUP_MAILCHIMP_DISPATCH = "background"  # the new name wins
    assert app_settings.DISPATCH == "background"
    del settings.SHUUP_MAILCHIMP_RUN_IN_PROCESS
    assert "shuup_mailchimp.W003" not in {problem.id for problem in check_settings()}


def test_unknown_dispatch_is_a_system_check_error(settings):
    from shuup_mailchimp.checks import check_settings

    settings.SHUUP_MAILCHIMP_DISPATCH = "threads"
    assert "shuup_mailchimp.E002" in {problem.id for problem in check_settings()}
    settings.SHUUP_MAILCHIMP_DISPATCH = "celery"
    assert "shuup_mailchimp.E002" not in {problem.id for problem in check_settings()}


def test_beat_schedule_follows_the_process_interval(settings):
    from shuup_mailchimp import tasks

    settings.SHUUP_MAILCHIMP_PROCESS_INTERVAL = 15
    assert tasks.BEAT_SCHEDULE["shuup-mailchimp-process-due"]["schedule"] == 15.0


def test_djangos_sqlite_backend_beside_another_writer_is_a_warning(settings):
    # a request that saves while the background thread (or a Celery worker) writes fails with
    # "database is locked" (test_sqlite_immediate.py)
    from shuup_mailchimp.checks import check_settings

    def warned():
        return "shuup_mailchimp.W004" in {problem.id for problem in check_settings()}

    settings.SHUUP_MAILCHIMP_DISPATCH = None
    settings.CELERY_BROKER_URL = None
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "shop.sqlite3"}}
    assert warned()
    settings.DATABASES = {"default": {"ENGINE": "shuup_mailchimp.sqlite", "NAME": "shop.sqlite3"}}
    assert not warned()  # the addon's backend waits for the lock
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "shop.sqlite3"}}
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert warned()  # a Celery worker writes to the same file
    settings.CELERY_BROKER_URL = None
    settings.SHUUP_MAILCHIMP_DISPATCH = "inline"
    assert not warned()  # the saving thread writes, nobody beside it
