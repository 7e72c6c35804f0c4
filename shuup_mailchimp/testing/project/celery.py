"""Celery application of the demo project: ``celery -A shuup_mailchimp.testing.project worker -B``."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuup_mailchimp.testing.project.settings")

app = Celery("shuup_mailchimp_demo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
