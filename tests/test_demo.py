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
