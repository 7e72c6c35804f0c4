"""Settings of the development / demo project that ships with shuup_mailchimp.

Works with no environment at all: SQLite under ``var/``, no broker, and Mailchimp is the local
emulator on 127.0.0.1:8765 that ``make demo`` / ``make emulator`` start (the addon's own default,
outside this demo, is the real Mailchimp). Optional environment variables:

``DATABASE_URL``
    ``postgres://user:password@host:port/name`` (or ``sqlite:///path``).
``CELERY_BROKER_URL``
    e.g. ``redis://127.0.0.1:6379/0``. Without it sync work is sent by a background thread of the
    web process after each response (``SHUUP_MAILCHIMP_DISPATCH``).
``SHUUP_MAILCHIMP_API_URL``
    Any Mailchimp-compatible server; default ``http://127.0.0.1:8765/3.0/`` (the emulator). The
    empty string means the real Mailchimp (``https://<dc>.api.mailchimp.com/3.0/``).
``SHUUP_MAILCHIMP_DEMO_DIR``
    Where the SQLite database and media go (``manage.py`` sets ``<repo>/var``).
"""
import os
from urllib.parse import unquote, urlparse

from shuup_workbench.test_settings import *  # noqa: F401,F403
from shuup_workbench.test_settings import INSTALLED_APPS as _SHUUP_APPS

VAR_DIR = os.environ.get("SHUUP_MAILCHIMP_DEMO_DIR") or os.path.join(os.getcwd(), "var")
os.makedirs(VAR_DIR, exist_ok=True)
MEDIA_ROOT = os.path.join(VAR_DIR, "media")
STATIC_ROOT = os.path.join(VAR_DIR, "static")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "shuup-mailchimp-demo-not-secret")
MIRAGE_SECRET_KEY = os.environ.get("MIRAGE_SECRET_KEY", "shuup-mailchimp-demo-mirage-key-32+chars")

INSTALLED_APPS = list(_SHUUP_APPS) + ["shuup_mailchimp", "shuup_mailchimp.testing"]
MIDDLEWARE = list(MIDDLEWARE) + ["shuup_mailchimp.attribution.MailchimpAttributionMiddleware"]  # noqa: F405
ROOT_URLCONF = "shuup_mailchimp.testing.project.urls"
SILENCED_SYSTEM_CHECKS = ["2_0.W001"]

# shuup.testing stays installed (its factories build the demo data), but its admin extras are
# test scaffolding a shop owner must not see: mock toolbar buttons ("HelloDefault"), a mock
# contact section, the sample-data and demo admin modules, dummy importers and test themes.
SHUUP_PROVIDES_BLACKLIST = {
    "admin_module": [
        "shuup.testing.modules.mocker:TestingAdminModule",
        "shuup.testing.modules.sample_data:SampleDataAdminModule",
        "shuup.testing.modules.demo:DemoModule",
    ],
    "admin_contact_toolbar_button": ["shuup.testing.modules.mocker.toolbar:MockContactToolbarButton"],
    "admin_contact_toolbar_action_item": ["shuup.testing.modules.mocker.toolbar:MockContactToolbarActionItem"],
    "admin_contact_edit_toolbar_button": ["shuup.testing.modules.mocker.toolbar:MockContactToolbarButton"],
    "admin_shop_edit_toolbar_button": ["shuup.testing.modules.mocker.toolbar:MockShopToolbarButton"],
    "admin_product_toolbar_action_item": ["shuup.testing.modules.mocker.toolbar:MockProductToolbarActionItem"],
    "admin_contact_section": ["shuup.testing.modules.mocker.sections:MockContactSection"],
    "importers": ["shuup.testing.importers.DummyImporter", "shuup.testing.importers.DummyFileImporter"],
    "xtheme": ["shuup.testing.themes:ShuupTestingTheme", "shuup.testing.themes:ShuupTestingThemeWithCustomBase"],
}
# A demo does not report to Shuup's telemetry service (and shows no telemetry notice).
SHUUP_TELEMETRY_ENABLED = False
# The setup wizard without shuup.testing's sample-data and content panes (the demo marks it done).
SHUUP_SETUP_WIZARD_PANE_SPEC = [
    "shuup.admin.modules.shops.views:ShopWizardPane",
    "shuup.admin.modules.service_providers.views.PaymentWizardPane",
    "shuup.admin.modules.service_providers.views.CarrierWizardPane",
    "shuup.xtheme.admin_module.views.ThemeWizardPane",
]


def database_from_url(url, default_sqlite_path):
    """Turn ``DATABASE_URL`` into a Django ``DATABASES["default"]`` entry."""
    # SQLite: wait up to 60 s for a lock (the web threads and the background worker thread share the file).
    # shuup_mailchimp.sqlite: Django's backend, its transactions begun IMMEDIATE, so a request waits for the
    # background thread's write instead of failing with "database is locked" (see its docstring).
    sqlite = {"ENGINE": "shuup_mailchimp.sqlite", "NAME": default_sqlite_path, "OPTIONS": {"timeout": 60}}
    if not url:
        return sqlite
    parts = urlparse(url)
    if parts.scheme == "sqlite":
        return dict(sqlite, NAME=unquote(parts.path[1:]) or default_sqlite_path)
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path[1:]) or "shuup_mailchimp",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
        }
    raise ValueError("DATABASE_URL has an unsupported scheme %r (use postgres:// or sqlite:///)" % parts.scheme)


DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"), os.path.join(VAR_DIR, "demo.sqlite3"))}

# Celery: with no broker, shuup_mailchimp sends its work from a background thread of this process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
# Fail fast when the broker is down: the outbox keeps the work and the periodic task sends it later,
# so a shop request must not wait for kombu's reconnect loop (6 s by default, measured).
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 2}
# Beat runs shuup_mailchimp.tasks.BEAT_SCHEDULE (merged in by celery.py, at SHUUP_MAILCHIMP_PROCESS_INTERVAL):
# it picks up due and retried items, so work recorded while the broker was down still goes out.
CELERY_BEAT_SCHEDULE = {}

#: The demo talks to the local emulator unless told otherwise; an empty value means the real Mailchimp.
DEMO_EMULATOR_URL = "http://127.0.0.1:8765/3.0/"
SHUUP_MAILCHIMP_API_URL = os.environ.get("SHUUP_MAILCHIMP_API_URL", DEMO_EMULATOR_URL) or None
# Where the emulator sends the demo shop's webhooks: a name Mailchimp would accept (not localhost),
# which the demo's emulator maps to the dev server (``--resolve demo-shop.test:8000=127.0.0.1:8000``).
DEMO_PUBLIC_URL = "http://demo-shop.test:8000"
SHUUP_MAILCHIMP_PUBLIC_URL = os.environ.get("SHUUP_MAILCHIMP_PUBLIC_URL", DEMO_PUBLIC_URL) or None
# Worker processes share Mailchimp's 10 connections per key through the Redis broker.
if CELERY_BROKER_URL and CELERY_BROKER_URL.startswith("redis"):
    SHUUP_MAILCHIMP_SLOTS_REDIS_URL = CELERY_BROKER_URL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"verbose": {"format": "[%(asctime)s] (%(name)s:%(levelname)s): %(message)s"}},
    "handlers": {"console": {"level": "INFO", "class": "logging.StreamHandler", "formatter": "verbose"}},
    "loggers": {
        "shuup": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # Celery's own lines ("Task ... succeeded") at -l info; mailchimp3's payload lines are
        # quieted by shuup_mailchimp unless DEBUG (they carry customers' emails and names).
        "celery": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # This project runs with DEBUG (runserver serves the admin's static files), so say it here
        # too: INFO would print every request body. Set it to INFO to debug a payload.
        "mailchimp3.client": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "shuup_mailchimp": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
