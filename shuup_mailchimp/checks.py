"""Django system checks for misconfiguration (``manage.py check``)."""
from django.conf import settings
from django.core.checks import Error, Warning, register

from shuup_mailchimp.app_settings import DEPRECATED_RUN_IN_PROCESS, DISPATCH_INLINE, DISPATCH_MODES, app_settings
from shuup_mailchimp.exceptions import MailchimpConfigurationError


@register()
def check_settings(app_configs=None, **kwargs):
    problems = []
    url = getattr(settings, "SHUUP_MAILCHIMP_API_URL", None)
    if url and not str(url).startswith(("http://", "https://")):
        problems.append(
            Error(
                "SHUUP_MAILCHIMP_API_URL must be an http(s) URL such as http://127.0.0.1:8765/3.0/.",
                id="shuup_mailchimp.E001",
            )
        )
    if len(getattr(settings, "MIRAGE_SECRET_KEY", None) or settings.SECRET_KEY) < 32:
        problems.append(
            Warning(
                "API keys are encrypted with MIRAGE_SECRET_KEY (or SECRET_KEY), which should be 32+ characters.",
                id="shuup_mailchimp.W001",
            )
        )
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    if getattr(settings, "CELERY_BROKER_URL", None) and "max_retries" not in options:
        problems.append(
            Warning(
                "With the broker down, queuing Mailchimp work blocks the saving request while kombu retries.",
                hint='Set CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}: the outbox keeps the work anyway.',
                id="shuup_mailchimp.W002",
            )
        )
    dispatch = getattr(settings, "SHUUP_MAILCHIMP_DISPATCH", None)
    if dispatch is not None and dispatch not in DISPATCH_MODES:
        problems.append(
            Error(
                "SHUUP_MAILCHIMP_DISPATCH is %r." % (dispatch,),
                hint="Use None (Celery with a broker, else a background thread), %s."
                % ", ".join(repr(mode) for mode in DISPATCH_MODES),
                id="shuup_mailchimp.E002",
            )
        )
    if getattr(settings, DEPRECATED_RUN_IN_PROCESS, None) is not None:
        problems.append(
            Warning(
                "%s is deprecated; SHUUP_MAILCHIMP_DISPATCH replaces it%s." % (
                    DEPRECATED_RUN_IN_PROCESS, " and is set, so it is ignored" if dispatch is not None else ""),
                hint='RUN_IN_PROCESS = True was DISPATCH = "inline" (the request waits for Mailchimp); without a '
                'broker, DISPATCH = None (a background thread sends the work after the response) is usually '
                'what you want. RUN_IN_PROCESS = False was DISPATCH = "celery".',
                id="shuup_mailchimp.W003",
            )
        )
    problems += _check_lease()
    problems += _check_sqlite_beside_another_writer()
    return problems


def _check_sqlite_beside_another_writer():
    """Django's SQLite backend and a second writer (the background thread, or a Celery worker):
    a request that saves while it writes fails with "database is locked"."""
    try:
        if app_settings.DISPATCH == DISPATCH_INLINE:
            return []
    except MailchimpConfigurationError:  # E002 says so
        return []
    return [
        Warning(
            "Database %r is SQLite with Django's backend, and the Mailchimp work is sent by another connection "
            "(the background thread, or a Celery worker): a request that saves while it writes can fail with "
            "\"database is locked\" (SQLite does not wait for a transaction that read first)." % alias,
            hint='Use ENGINE "shuup_mailchimp.sqlite" (Django\'s backend, transactions begun IMMEDIATE, so '
            'they wait for the lock), or PostgreSQL.',
            id="shuup_mailchimp.W004",
        )
        for alias, database in sorted(settings.DATABASES.items())
        if database.get("ENGINE") == "django.db.backends.sqlite3"
    ]


def _check_lease():
    """A claim must outlast one call's whole budget, or a slow worker's item is taken over mid-call."""
    from shuup_mailchimp.app_settings import app_settings

    timeout = app_settings.TIMEOUT
    budget = sum(timeout) if isinstance(timeout, (tuple, list)) else float(timeout or 0)
    budget += 120  # the longest wait for a free connection slot (client/concurrency.py)
    if app_settings.CLAIM_LEASE <= budget:
        return [
            Error(
                "SHUUP_MAILCHIMP_CLAIM_LEASE (%s s) must exceed one Mailchimp call's budget (%s s: the time-outs "
                "plus 120 s of waiting for a connection slot)." % (app_settings.CLAIM_LEASE, budget),
                id="shuup_mailchimp.E003",
            )
        ]
    return []
