"""Django system checks for misconfiguration (``manage.py check``)."""
from django.conf import settings
from django.core.checks import Error, Warning, register


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
    return problems
