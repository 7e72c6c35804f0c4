"""One accessor for the static settings (defaults documented in :mod:`shuup_mailchimp.settings`).

``from shuup_mailchimp.app_settings import app_settings; app_settings.TIMEOUT``
"""
from django.conf import settings as django_settings

from shuup_mailchimp import settings as defaults
from shuup_mailchimp.exceptions import MailchimpConfigurationError

PREFIX = "SHUUP_MAILCHIMP_"


class AppSettings:
    def _get(self, name):
        full = PREFIX + name
        if hasattr(django_settings, full):
            return getattr(django_settings, full)
        if hasattr(defaults, full):
            return getattr(defaults, full)
        raise MailchimpConfigurationError("Unknown setting %s: add it to your Django settings." % full)

    def require(self, name):
        """Return a setting that must be set, or raise an error naming it."""
        value = self._get(name)
        if value in (None, ""):
            raise MailchimpConfigurationError("Set %s%s in your Django settings." % (PREFIX, name))
        return value

    @property
    def API_URL(self):
        return self._get("API_URL")

    @property
    def TIMEOUT(self):
        return self._get("TIMEOUT")

    @property
    def MAX_ATTEMPTS(self):
        return int(self._get("MAX_ATTEMPTS"))

    @property
    def RETRY_BASE_DELAY(self):
        return float(self._get("RETRY_BASE_DELAY"))

    @property
    def RETRY_MAX_DELAY(self):
        return float(self._get("RETRY_MAX_DELAY"))

    @property
    def MAX_CONCURRENT_REQUESTS(self):
        return int(self._get("MAX_CONCURRENT_REQUESTS"))

    @property
    def LOG_RETENTION_DAYS(self):
        return self._get("LOG_RETENTION_DAYS")

    @property
    def PROCESS_BATCH_SIZE(self):
        return int(self._get("PROCESS_BATCH_SIZE"))

    @property
    def PROCESS_INTERVAL(self):
        return float(self._get("PROCESS_INTERVAL"))

    @property
    def TASK_COUNTDOWN(self):
        return float(self._get("TASK_COUNTDOWN"))

    @property
    def ACTIVE_SHOPS_TTL(self):
        return float(self._get("ACTIVE_SHOPS_TTL"))

    @property
    def STORE_ID_PREFIX(self):
        return self._get("STORE_ID_PREFIX")

    @property
    def RUN_IN_PROCESS(self):
        """True when sync work runs in the saving process after commit (no Celery broker)."""
        value = self._get("RUN_IN_PROCESS")
        if value is None:
            return not getattr(django_settings, "CELERY_BROKER_URL", None)
        return bool(value)


app_settings = AppSettings()
