"""The demo project. Its Celery app is loaded with Django, as the README asks of every project:
without it, a web process publishes through Celery's default app, which ignores the
``CELERY_*`` settings (``CELERY_BROKER_TRANSPORT_OPTIONS`` included), so with the broker down
every save waited ~6 s in kombu's connection retries (bench/reliability/broker_outage.py)."""
from .celery import app as celery_app  # noqa: F401
