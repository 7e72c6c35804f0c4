"""The demo's data builder and a full sync of it: Mailchimp's state must equal Shuup's."""
import time

import pytest
from django.core.management import call_command
from shuup.core.models import Contact, Order

from shuup_mailchimp.enums import SyncStatus
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync.interests import group_name, shop_groups
from shuup_mailchimp.testing.demo_data import build_demo_data, demo_shop

from .conftest import API_KEY, member_of


@pytest.mark.django_db
def test_demo_data_synced_in_full_matches_shuup(emulator, audience):
    started = time.monotonic()
    counts = build_demo_data(contacts=40, products=6, orders=12)
    build_seconds = time.monotonic() - started
    assert counts["created"] and counts["contacts"] == 40
    assert build_demo_data(contacts=40, products=6, orders=12) == {"created": False}  # idempotent
    shop = demo_shop()
    call_command("mailchimp_configure", "--shop", str(shop.pk), "--api-key", API_KEY, "--audience", audience["id"],
                 "--enable", stdout=open("/dev/null", "w"))
    call_command("mailchimp_init", "--shop", str(shop.pk), stdout=open("/dev/null", "w"))
    call_command("mailchimp_sync", "--shop", str(shop.pk), "--all", "--no-progress", stdout=open("/dev/null", "w"))
    settings = MailchimpShopSettings.for_shop(shop)
    state = emulator.snapshot()
    store = state["stores"][settings.store_id]
    assert not MailchimpSyncItem.objects.exclude(status=SyncStatus.SYNCED).exists()

    contacts = Contact.objects.filter(shops=shop)
    assert len(state["lists"][audience["id"]]["members"]) == contacts.count()
    interest_names = {
        i["id"]: i["name"] for c in state["lists"][audience["id"]]["interest_categories"].values()
        for i in c["interests"].values()}
    assert sorted(interest_names.values()) == sorted(group_name(g) for g in shop_groups(shop.pk))
    for contact in contacts:
        member = member_of(emulator, audience["id"], contact.email)
        expected = "subscribed" if contact.marketing_permission else "transactional"
        assert member["status"] == expected, contact.email
        groups = {group_name(g) for g in contact.groups.filter(shop=shop)}
        assert {interest_names[i] for i, on in member["interests"].items() if on} == groups
        assert str(contact.pk) in store["customers"]
    orders = Order.objects.filter(shop=shop)
    assert set(store["orders"]) == {str(o.pk) for o in orders}
    for order in orders:
        assert store["orders"][str(order.pk)]["order_total"] == pytest.approx(float(order.taxful_total_price.value))
    print("demo data build: %.1f s for 40 contacts / 12 orders" % build_seconds)


# --- the demo without traps ---------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_admin_opens_on_the_dashboard_with_its_menu_and_no_test_extras(client, admin_user, caplog):
    from shuup_mailchimp.testing.demo_admin import make_admin_usable

    shop = demo_shop()
    make_admin_usable(shop, users=[admin_user])
    client.force_login(admin_user)
    with caplog.at_level("ERROR", logger="shuup.xtheme"):
        response = client.get("/sa/")
        client.get("/")
    assert response.status_code == 200, response.get("Location")  # not the setup wizard
    html = response.content.decode("utf-8")
    assert 'id="mailchimp-dashboard-block"' in html
    assert "/sa/mailchimp/" in html  # the menu has Addons > Mailchimp
    assert "no active theme" not in caplog.text
    assert client.get("/sa/dashboard/").status_code in (301, 302)  # an old bookmark lands on /sa/
    edit = client.get("/sa/shops/%d/" % shop.pk).content.decode("utf-8")
    assert "HelloDefault" not in edit and "mock section title" not in edit.lower()
    assert 'id="mailchimp-settings"' in edit


def test_demo_project_talks_to_the_local_emulator_unless_told_otherwise():
    import subprocess
    import sys

    code = ("import os; os.environ['DJANGO_SETTINGS_MODULE']='shuup_mailchimp.testing.project.settings';"
            "from django.conf import settings; print(settings.SHUUP_MAILCHIMP_API_URL)")
    env = dict(__import__("os").environ)
    env.pop("SHUUP_MAILCHIMP_API_URL", None)
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert default.stdout.strip() == "http://127.0.0.1:8765/3.0/"
    env["SHUUP_MAILCHIMP_API_URL"] = "https://mc.example.test/3.0/"
    told = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert told.stdout.strip() == "https://mc.example.test/3.0/"
    from shuup_mailchimp import settings as addon_defaults

    assert addon_defaults.SHUUP_MAILCHIMP_API_URL is None  # the addon itself: the real Mailchimp


def test_emulator_state_file_survives_a_restart(tmp_path):
    from shuup_mailchimp.testing.emulator import MailchimpEmulator
    from shuup_mailchimp.testing.emulator.cli import seed_list
    from shuup_mailchimp.testing.emulator.persistence import StateFile

    path = str(tmp_path / "state.json")
    first = MailchimpEmulator()
    state = StateFile(first, path)
    assert state.load() is False
    seed_list(first, "Demo audience", "d3m0a0d1e5")
    state.start()
    status, _headers, _body = first.handle(
        "PUT", "/3.0/lists/d3m0a0d1e5/members/kept@mailbox.org", "",
        {"Authorization": "Basic " + __import__("base64").b64encode(b"x:" + API_KEY.encode()).decode()},
        b'{"email_address": "kept@mailbox.org", "status_if_new": "subscribed"}')
    assert status == 200
    state.stop()  # the emulator stops: the final state is written

    second = MailchimpEmulator()
    assert StateFile(second, path).load() is True
    again = seed_list(second, "Demo audience", None)  # `make emulator` without an id: the same audience
    assert again["id"] == "d3m0a0d1e5"
    members = second.snapshot()["lists"]["d3m0a0d1e5"]["members"]
    assert [m["email_address"] for m in members.values()] == ["kept@mailbox.org"]
