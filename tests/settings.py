"""Test settings: the demo project, with tables built from models instead of migrations.

``DATABASE_URL`` selects PostgreSQL (``make test`` runs the suite on both);
``CELERY_BROKER_URL`` selects a real broker for the tests that start a Celery worker.
"""
import os

from shuup_workbench.settings.utils import get_disabled_migrations

os.environ.setdefault("SHUUP_MAILCHIMP_DEMO_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from shuup_mailchimp.testing.project.settings import *  # noqa: E402,F401,F403
from shuup_mailchimp.testing.project.settings import INSTALLED_APPS, VAR_DIR, database_from_url  # noqa: E402

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"), os.path.join(VAR_DIR, "test.sqlite3"))}
# One test database per run, so parallel runs (several checkouts, tox envs) never share one.
if "sqlite" in DATABASES["default"]["ENGINE"]:  # Django's, or shuup_mailchimp.sqlite
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(VAR_DIR, "test_db_%d.sqlite3" % os.getpid())}
else:
    DATABASES["default"]["TEST"] = {"NAME": "test_%s_%d" % (DATABASES["default"]["NAME"], os.getpid())}

MIGRATION_MODULES = get_disabled_migrations()
MIGRATION_MODULES.update({app.split(".")[-1]: None for app in INSTALLED_APPS})
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests point the client at the in-process emulator unless they say otherwise.
SHUUP_MAILCHIMP_API_URL = "https://us1.api.mailchimp.test/3.0/"
SHUUP_MAILCHIMP_PUBLIC_URL = None  # the addon's default (https://<shop domain>), not the demo's
LOGGING = {"version": 1, "disable_existing_loggers": False}
SHUUP_MAILCHIMP_DISPATCH = "inline"  # tests that need a broker or the background worker say so
