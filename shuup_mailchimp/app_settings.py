"""One accessor for the static settings (defaults and docs in :mod:`shuup_mailchimp.settings`).

``from shuup_mailchimp.app_settings import app_settings; app_settings.TIMEOUT``. Values are read
on every access, so ``override_settings`` and pytest-django's ``settings`` fixture work.
"""
from django.conf import settings as django_settings

from shuup_mailchimp import settings as defaults
from shuup_mailchimp.exceptions import MailchimpConfigurationError

PREFIX = "SHUUP_MAILCHIMP_"


class _Setting:
    """``SHUUP_MAILCHIMP_<NAME>`` from the Django settings, else its default, converted if asked."""

    def __init__(self, convert=None):
        self.convert = convert

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner):
        if instance is None:
            return self
        value = instance.get(self.name)
        return self.convert(value) if self.convert and value is not None else value


class AppSettings:
    API_URL = _Setting()
    TIMEOUT = _Setting()
    MAX_ATTEMPTS = _Setting(int)
    RETRY_BASE_DELAY = _Setting(float)
    RETRY_MAX_DELAY = _Setting(float)
    MAX_CONCURRENT_REQUESTS = _Setting(int)
    SLOTS_REDIS_URL = _Setting()
    LOG_RETENTION_DAYS = _Setting()
    PROCESS_BATCH_SIZE = _Setting(int)
    PROCESS_INTERVAL = _Setting(float)
    TASK_COUNTDOWN = _Setting(float)
    ACTIVE_SHOPS_TTL = _Setting(float)
    STORE_ID_PREFIX = _Setting()

    def get(self, name):
        full = PREFIX + name
        if hasattr(django_settings, full):
            return getattr(django_settings, full)
        if hasattr(defaults, full):
            return getattr(defaults, full)
        raise MailchimpConfigurationError("Unknown setting %s: add it to your Django settings." % full)

    def require(self, name):
        """Return a setting that must be set, or raise an error naming it."""
        value = self.get(name)
        if value in (None, ""):
            raise MailchimpConfigurationError("Set %s%s in your Django settings." % (PREFIX, name))
        return value

    @property
    def RUN_IN_PROCESS(self):
        """True when sync work runs in the saving process after commit (no Celery broker)."""
        value = self.get("RUN_IN_PROCESS")
        if value is None:
            return not getattr(django_settings, "CELERY_BROKER_URL", None)
        return bool(value)


app_settings = AppSettings()
