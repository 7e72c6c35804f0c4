"""Sync logic: plain functions with no HTTP and no Celery. ``client/`` talks to Mailchimp,
``tasks.py`` and the management commands call in here."""
