from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree(settings):
    # The test settings disable migrations to build tables fast; check against the real ones.
    settings.MIGRATION_MODULES = {}
    out = StringIO()
    call_command("makemigrations", "shuup_mailchimp", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
