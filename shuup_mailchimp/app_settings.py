"""One accessor for the static settings (defaults and docs in :mod:`shuup_mailchimp.settings`).

``from shuup_mailchimp.app_settings import app_settings; app_settings.TIMEOUT``. Values are read
on every access, so ``override_settings`` and pytest-django's ``settings`` fixture work.
"""
from django.conf import settings as django_settings

from shuup_mailchimp import settings as defaults
from shuup_mailchimp.exceptions import MailchimpConfigurationError

PREFIX = "SHUUP_MAILCHIMP_"

#: Values of ``SHUUP_MAILCHIMP_DISPATCH`` (see :attr:`AppSettings.DISPATCH`).
DISPATCH_CELERY, DISPATCH_BACKGROUND, DISPATCH_INLINE = "celery", "background", "inline"
DISPATCH_MODES = (DISPATCH_CELERY, DISPATCH_BACKGROUND, DISPATCH_INLINE)
#: The boolean that ``SHUUP_MAILCHIMP_DISPATCH`` replaces, still read as an alias.
DEPRECATED_RUN_IN_PROCESS = PREFIX + "RUN_IN_PROCESS"


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
    CART_IDLE_MINUTES = _Setting(float)
    CART_LINK_MAX_AGE = _Setting(int)
    SIGNUP_RATE_LIMIT = _Setting(tuple)
    TIMEOUT = _Setting()
    MAX_ATTEMPTS = _Setting(int)
    CLAIM_LEASE = _Setting(float)
    FULL_SYNC_BATCH_SIZE = _Setting(int)
    FULL_SYNC_BATCH_BYTES = _Setting(int)
    FULL_SYNC_CHUNK_SIZE = _Setting(int)
    FULL_SYNC_LEASE = _Setting(float)
    FULL_SYNC_MAX_PENDING = _Setting(int)
    FULL_SYNC_POLL_INTERVAL = _Setting(tuple)
    PUBLIC_URL = _Setting()
    RECONCILE_INTERVAL = _Setting()
    RETRY_BASE_DELAY = _Setting(float)
    RETRY_MAX_DELAY = _Setting(float)
    MAX_CONCURRENT_REQUESTS = _Setting(int)
    SLOTS_REDIS_URL = _Setting()
    LOG_RETENTION_DAYS = _Setting()
    PROCESS_BATCH_SIZE = _Setting(int)
    PROCESS_INTERVAL = _Setting(float)
    TASK_COUNTDOWN = _Setting(float)
    MAX_COALESCE_DELAY = _Setting(float)
    PARALLEL_DRAINS = _Setting(int)
    ACTIVE_SHOPS_TTL = _Setting(float)
    STORE_ID_PREFIX = _Setting()
    DELETE_UNCHOSEN_TAGS = _Setting(bool)
    CAMPAIGN_IMPORT_INTERVAL = _Setting()
    CAMPAIGN_REPORT_DAYS = _Setting(float)
    ATTRIBUTION_DAYS = _Setting(float)

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
    def DISPATCH(self):
        """How scheduled work leaves the request: ``"celery"``, ``"background"`` or ``"inline"``.

        ``SHUUP_MAILCHIMP_DISPATCH = None`` (the default) means ``"celery"`` when ``CELERY_BROKER_URL``
        is set, else ``"background"``. The deprecated ``SHUUP_MAILCHIMP_RUN_IN_PROCESS`` is still read
        when ``DISPATCH`` is not set: ``True`` was ``"inline"``, ``False`` was ``"celery"``.
        """
        value = self.get("DISPATCH")
        if value is None:
            legacy = getattr(django_settings, DEPRECATED_RUN_IN_PROCESS, None)
            if legacy is not None:
                return DISPATCH_INLINE if legacy else DISPATCH_CELERY
            return DISPATCH_CELERY if getattr(django_settings, "CELERY_BROKER_URL", None) else DISPATCH_BACKGROUND
        if value not in DISPATCH_MODES:
            raise MailchimpConfigurationError(
                "%sDISPATCH is %r; use one of %s, or None." % (PREFIX, value, ", ".join(map(repr, DISPATCH_MODES)))
            )
        return value


app_settings = AppSettings()
