"""Django settings of the reliability scenarios that run real Celery workers (``_celery.py``).

The test settings (tables built from models, ``DATABASE_URL``), with what a production worker
has: a real broker (``CELERY_BROKER_URL``, also the shared connection slots), the Celery dispatch,
DEBUG off (no query log growing in a long run) and the demo project's INFO console logging, so
the workers' ``-l info`` output is what the secrets scan reads. ``SHUUP_MAILCHIMP_API_URL`` is the
emulator process. ``RELIABILITY_SETTINGS`` (JSON) overrides any setting, e.g.
``{"SHUUP_MAILCHIMP_CLAIM_LEASE": 5}``; the driving script and its workers read the same values.
"""
import json
import os

from shuup_mailchimp.testing.project.settings import LOGGING  # noqa: F401  (INFO to the console)
from tests.settings import *  # noqa: F401,F403

DEBUG = False
SHUUP_MAILCHIMP_API_URL = os.environ["SHUUP_MAILCHIMP_API_URL"]
CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
SHUUP_MAILCHIMP_DISPATCH = "celery"
SHUUP_MAILCHIMP_SLOTS_REDIS_URL = CELERY_BROKER_URL

globals().update(json.loads(os.environ.get("RELIABILITY_SETTINGS") or "{}"))
