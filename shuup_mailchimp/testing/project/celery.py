"""Celery application of the demo project: ``celery -A shuup_mailchimp.testing.project worker -B``."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuup_mailchimp.testing.project.settings")

app = Celery("shuup_mailchimp_demo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _merge_beat_schedule(sender, source, **kwargs):
    """shuup_mailchimp's periodic tasks (``tasks.BEAT_SCHEDULE``); entries of ``CELERY_BEAT_SCHEDULE`` win."""
    from shuup_mailchimp.tasks import beat_schedule

    # Set under the namespaced name: it shadows the CELERY_BEAT_SCHEDULE read from the Django settings.
    source["CELERY_BEAT_SCHEDULE"] = dict(beat_schedule(), **(source.beat_schedule or {}))
