"""Fixtures shared by the addon's tests.

Unit tests run the Mailchimp emulator in-process under ``responses`` at the URL the test
settings give (``SHUUP_MAILCHIMP_API_URL``), so every call goes through mailchimp3 and
``requests`` exactly as in production, and assertions read the emulator's state.
"""
import pytest
from shuup.testing import factories

from shuup_mailchimp.models import MailchimpShopSettings

API_KEY = "0123456789abcdef0123456789abcdef-us1"
EMULATOR_BASE = "https://us1.api.mailchimp.test"


@pytest.fixture
def emulator():
    from shuup_mailchimp.testing import mock_mailchimp

    with mock_mailchimp(base_url=EMULATOR_BASE) as emu:
        yield emu


@pytest.fixture
def audience(emulator):
    return emulator.create_list(name="Shop audience")


@pytest.fixture
def shop(db):
    shop = factories.get_default_shop()
    shop.domain = "shop-one.example-shop.com"
    shop.save()
    return shop


@pytest.fixture
def shop_settings(shop, audience):
    """An enabled, configured (not yet initialized) shop."""
    settings = MailchimpShopSettings.for_shop(shop)
    settings.api_key = API_KEY
    settings.audience_id = audience["id"]
    settings.enabled = True
    settings.save()
    return settings


@pytest.fixture
def initialized(shop_settings):
    from shuup_mailchimp.sync.store import initialize_store

    initialize_store(shop_settings)
    shop_settings.refresh_from_db()
    return shop_settings


def member_of(emulator, audience_id, email):
    import hashlib

    members = emulator.snapshot()["lists"][audience_id]["members"]
    return members.get(hashlib.md5(email.strip().lower().encode()).hexdigest())


def store_of(emulator, store_id):
    return emulator.snapshot()["stores"].get(store_id)


@pytest.fixture(autouse=True)
def _on_commit_runs_inside_test_transactions(request, monkeypatch):
    """In a (fast) transactional test nothing ever commits, so run ``on_commit`` work at once.

    Tests marked ``django_db(transaction=True)`` keep Django's real on_commit behaviour.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return
    from shuup_mailchimp import receivers

    monkeypatch.setattr(receivers.transaction, "on_commit", lambda func, using=None: func())


@pytest.fixture(autouse=True)
def _no_run_known_to_come():
    """The outbox's per-process memory of scheduled runs (ids repeat from test to test): none at start."""
    from shuup_mailchimp.sync import outbox

    outbox._run_coming.clear()
    yield
    outbox._run_coming.clear()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request in Finnish leaves Finnish active in this thread; the next test must not inherit it
    (parler would save a product's new name as its Finnish translation)."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
