"""Configure, check connection and initialize store, against the in-process emulator."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from shuup.testing import factories

from shuup_mailchimp.models import MailchimpLogEntry, MailchimpShopSettings
from shuup_mailchimp.sync.connection import check_connection
from shuup_mailchimp.sync.interests import CATEGORY_TITLE
from shuup_mailchimp.sync.store import StoreConflictError, initialize_store

from .conftest import API_KEY


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_configure_command_sets_everything(shop, audience):
    out = run("mailchimp_configure", "--shop", str(shop.pk), "--api-key", API_KEY, "--audience", audience["id"],
              "--enable", "--two-way", "--conflict", "local")
    settings = MailchimpShopSettings.for_shop(shop)
    assert settings.api_key == API_KEY and settings.audience_id == audience["id"]
    assert settings.enabled and settings.two_way_sync and settings.conflict_policy.value == "local"
    assert API_KEY not in out and "cdef-us1" in out  # masked
    assert "mailchimp_init" in out


def test_configure_rejects_a_malformed_key_and_saves_nothing(shop):
    with pytest.raises(CommandError, match="32 hexadecimal"):
        run("mailchimp_configure", "--shop", str(shop.pk), "--api-key", "abc-us1")
    assert MailchimpShopSettings.for_shop(shop).api_key == ""


def test_configure_refuses_an_unknown_audience_and_lists_the_real_ones(shop, audience):
    with pytest.raises(CommandError, match="does not exist") as info:
        run("mailchimp_configure", "--shop", str(shop.pk), "--api-key", API_KEY, "--audience", "0000000000")
    assert audience["id"] in str(info.value)
    assert MailchimpShopSettings.for_shop(shop).api_key == ""  # nothing saved


def test_configure_saves_with_a_warning_when_mailchimp_is_unreachable(shop, settings):
    settings.SHUUP_MAILCHIMP_API_URL = "http://127.0.0.1:9/3.0/"
    run("mailchimp_configure", "--shop", str(shop.pk), "--api-key", API_KEY, "--audience", "abc")
    assert MailchimpShopSettings.for_shop(shop).audience_id == "abc"


def test_api_key_is_encrypted_at_rest(shop_settings):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM shuup_mailchimp_mailchimpshopsettings WHERE id = %s", [shop_settings.pk])
        raw = cursor.fetchone()[0]
    assert raw and API_KEY not in raw


def test_check_connection_ok(shop_settings, audience):
    report = check_connection(shop_settings)
    assert report.ok, report.lines()
    assert report.audience_name == "Shop audience"
    out = run("mailchimp_check", "--shop", str(shop_settings.shop_id))
    assert "Shop audience" in out


def test_check_connection_unknown_audience_lists_the_real_ones(shop_settings, audience):
    shop_settings.audience_id = "ffffffffff"
    shop_settings.save()
    report = check_connection(shop_settings)
    assert not report.ok and "does not exist" in report.problem and report.cause == "audience"
    assert [a["id"] for a in report.audiences] == [audience["id"]]
    with pytest.raises(CommandError):
        run("mailchimp_check", "--shop", str(shop_settings.shop_id))


def test_check_connection_refused_key(shop_settings, emulator):
    emulator.valid_keys = {"f" * 32 + "-us1"}
    report = check_connection(shop_settings)
    assert not report.ok and "refused the API key" in report.problem and "data centre" in report.hint
    assert report.cause == "key"


def test_check_connection_unreachable_server(shop_settings, settings):
    settings.SHUUP_MAILCHIMP_API_URL = "http://127.0.0.1:9/3.0/"  # nothing listens on the discard port
    report = check_connection(shop_settings)
    assert not report.ok and "could not be reached" in report.problem and "127.0.0.1:9" in report.problem
    assert report.cause == "network"


def test_initialize_creates_store_category_and_interests(shop_settings, emulator, audience):
    group = factories.create_random_contact_group(shop=shop_settings.shop)
    summary = initialize_store(shop_settings)
    state = emulator.snapshot()
    store = state["stores"][summary["store_id"]]
    assert store["list_id"] == audience["id"]
    assert store["currency_code"] == shop_settings.shop.currency
    assert store["domain"] == "shop-one.example-shop.com"
    categories = state["lists"][audience["id"]]["interest_categories"]
    (category,) = [c for c in categories.values() if c["title"] == CATEGORY_TITLE]
    assert [i["name"] for i in category["interests"].values()] == [group.name]
    shop_settings.refresh_from_db()
    assert shop_settings.is_initialized and shop_settings.interest_category_id == category["id"]


def test_initialize_twice_creates_nothing_new(shop_settings, emulator):
    factories.create_random_contact_group(shop=shop_settings.shop)
    first = initialize_store(shop_settings)
    before = emulator.snapshot()
    second = initialize_store(shop_settings)
    after = emulator.snapshot()
    assert second["store_id"] == first["store_id"] and second["store_action"] == "updated"
    assert list(after["stores"]) == list(before["stores"])
    for list_id, lst in after["lists"].items():
        assert lst["interest_categories"].keys() == before["lists"][list_id]["interest_categories"].keys()
        for cat_id, cat in lst["interest_categories"].items():
            assert cat["interests"].keys() == before["lists"][list_id]["interest_categories"][cat_id]["interests"].keys()


def test_two_shops_get_two_distinct_stores(shop_settings, emulator, audience):
    other = factories.get_shop(identifier="second", domain="second.example-shop.com", name="Second")
    other_settings = MailchimpShopSettings.for_shop(other)
    other_settings.api_key, other_settings.audience_id, other_settings.enabled = API_KEY, audience["id"], True
    other_settings.save()
    one = initialize_store(shop_settings)["store_id"]
    two = initialize_store(other_settings)["store_id"]
    assert one != two and {one, two} <= set(emulator.snapshot()["stores"])


def test_store_on_another_audience_is_an_error_not_a_repoint(shop_settings, emulator):
    initialize_store(shop_settings)
    shop_settings.refresh_from_db()
    other = emulator.create_list(name="Other audience")
    shop_settings.audience_id = other["id"]
    with pytest.raises(StoreConflictError, match="cannot move a store"):
        initialize_store(shop_settings)
    assert emulator.snapshot()["stores"][shop_settings.store_id]["list_id"] != other["id"]


def test_reinstall_reuses_the_store_of_the_same_domain(shop_settings, emulator):
    first = initialize_store(shop_settings)["store_id"]
    shop_settings.store_id = ""
    shop_settings.store_initialized_on = None
    assert initialize_store(shop_settings)["store_id"] == first
    assert len(emulator.snapshot()["stores"]) == 1


def test_init_command_and_log_rows_are_redacted(shop_settings):
    out = run("mailchimp_init", "--shop", str(shop_settings.shop_id))
    assert "created on audience" in out
    rows = MailchimpLogEntry.objects.filter(shop=shop_settings.shop)
    ops = set(rows.values_list("operation", flat=True))
    assert {"stores.create", "interest_categories.create", "initialize_store"} <= ops
    for row in rows:
        assert API_KEY not in " ".join(str(v) for v in row.__dict__.values())
    assert rows.filter(operation="stores.create", status_code=200, success=True).exists()


def test_init_with_unknown_audience_says_so(shop_settings):
    shop_settings.audience_id = "0000000000"
    shop_settings.save()
    with pytest.raises(CommandError, match="does not exist"):
        run("mailchimp_init", "--shop", str(shop_settings.shop_id))
    assert MailchimpLogEntry.objects.filter(operation="initialize_store", success=False).exists()


def test_a_new_store_gets_everything_again(shop_settings, emulator):
    # Seen in a second `make demo` after the emulator restarted: the stored store id pointed at a store
    # that no longer existed, init created it anew, and every order PATCH then hit 404.
    from shuup.testing import factories as f

    from shuup_mailchimp.sync.processing import process_due

    contact = f.create_random_person(shop=shop_settings.shop)
    contact.email = "again@mailbox.org"
    contact.save()
    supplier = f.get_default_supplier()
    product = f.create_product("again", shop=shop_settings.shop, supplier=supplier, default_price=5)
    order = f.create_random_order(customer=contact, products=[product], shop=shop_settings.shop,
                                  random_products=False)
    shop_settings.refresh_from_db()
    store_id = shop_settings.store_id
    assert str(order.pk) in emulator.snapshot()["stores"][store_id]["orders"]
    emulator.reset()  # Mailchimp lost everything (or the store was deleted there)
    audience = emulator.create_list(name="Fresh")
    shop_settings.audience_id = audience["id"]
    shop_settings.save()
    assert initialize_store(shop_settings)["store_action"] == "created"
    from shuup_mailchimp.sync.backfill import record_everything

    record_everything(shop_settings.shop_id)
    summary = process_due()
    assert summary.failed == 0, summary.errors
    store = emulator.snapshot()["stores"][store_id]
    assert str(order.pk) in store["orders"] and str(product.pk) in store["products"]
