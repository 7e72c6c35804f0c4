"""mailchimp_reconcile finds differences planted directly into the emulator's state, and repairs them."""
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from shuup.core.models import ContactGroup, PersonContact
from shuup.testing import factories

from shuup_mailchimp.sync.processing import process_due

from .conftest import member_of


def _hash(email):
    return hashlib.md5(email.lower().encode()).hexdigest()


def reconcile(shop_settings, *args):
    out = io.StringIO()
    call_command("mailchimp_reconcile", "--shop", str(shop_settings.shop_id), "--json", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_reconcile_finds_and_repairs_planted_drift(initialized, emulator):
    people = []
    for n in range(4):
        contact = PersonContact.objects.create(first_name="P%d" % n, last_name="Q", email="drift%d@mailbox.org" % n,
                                               marketing_permission=True)
        contact.add_to_shop(initialized.shop)
        people.append(contact)
    vip = ContactGroup.objects.create(shop=initialized.shop, name="VIP")
    vip.members.add(people[0])
    product = factories.create_product("drift-1", shop=initialized.shop, supplier=factories.get_default_supplier(),
                                       default_price=5)
    order = factories.create_random_order(customer=people[0], products=[product], shop=initialized.shop,
                                          random_products=False)
    process_due()
    assert reconcile(initialized)["total"] == 0
    with emulator._lock:  # drift planted behind our back
        members = emulator.lists[initialized.audience_id]["members"]
        del members[_hash(people[1].email)]
        members[_hash(people[2].email)]["merge_fields"]["FNAME"] = "Changed in Mailchimp"
        members[_hash(people[3].email)].update(status="unsubscribed", unsubscribed_by="person")
        vip_interest = next(i for i, on in members[_hash(people[0].email)]["interests"].items() if on)
        members[_hash(people[0].email)]["interests"][vip_interest] = False  # left the group in Mailchimp only
        store = emulator.stores[initialized.store_id]
        store["orders"].pop(str(order.pk))
        store["products"].pop(str(product.pk))
    found = reconcile(initialized)
    texts = json.dumps(found["differences"])
    assert found["total"] >= 5, found
    assert "missing in Mailchimp" in texts and "names differ" in texts and "unsubscribed in Mailchimp" in texts
    assert {"id": people[0].pk, "difference": "interests differ: 1 group(s)"} in found["differences"]["member"]
    assert {"member", "order", "product"} <= set(found["differences"])
    repaired = reconcile(initialized, "--repair")
    assert repaired["repaired"]["opt-outs applied in Shuup"] == 1
    process_due()
    people[3].refresh_from_db()
    assert people[3].marketing_permission is False  # Mailchimp's opt-out now in Shuup
    assert member_of(emulator, initialized.audience_id, people[1].email)["status"] == "subscribed"
    assert member_of(emulator, initialized.audience_id, people[2].email)["merge_fields"]["FNAME"] == "P2"
    assert member_of(emulator, initialized.audience_id, people[0].email)["interests"][vip_interest] is True
    store = emulator.snapshot()["stores"][initialized.store_id]
    assert str(order.pk) in store["orders"] and str(product.pk) in store["products"]
    assert reconcile(initialized)["total"] == 0


@pytest.mark.django_db
def test_weekly_drift_check_is_off_by_default_and_reports_in_the_log(initialized, emulator, settings):
    from shuup_mailchimp.models import MailchimpLogEntry
    from shuup_mailchimp.tasks import beat_schedule, reconcile as reconcile_task

    assert "shuup-mailchimp-reconcile" not in beat_schedule()
    settings.SHUUP_MAILCHIMP_RECONCILE_INTERVAL = 7 * 24 * 3600
    assert beat_schedule()["shuup-mailchimp-reconcile"]["task"] == "shuup_mailchimp.reconcile"
    contact = PersonContact.objects.create(first_name="A", last_name="B", email="weekly@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    with emulator._lock:
        del emulator.lists[initialized.audience_id]["members"][_hash(contact.email)]
    assert reconcile_task() == {initialized.shop_id: 1}
    row = MailchimpLogEntry.objects.filter(operation="reconcile").latest("pk")
    assert row.success is False and "1 difference" in row.message


@pytest.mark.django_db
def test_repair_unsubscribes_a_member_still_subscribed_after_shuup_withdrew(initialized, emulator):
    """Shuup withdrew the permission and Mailchimp was told, but the member is subscribed again
    there (re-subscribed in Mailchimp's UI with two-way sync off, say): Shuup's withdrawal is sent
    again. Sending the contact as an edit would not do it (an edit sends no status)."""
    contact = PersonContact.objects.create(first_name="W", last_name="D", email="withdrawn@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    contact.marketing_permission = False
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "unsubscribed"
    with emulator._lock:
        emulator.lists[initialized.audience_id]["members"][_hash(contact.email)].update(
            status="subscribed", unsubscribed_by=None)
    found = reconcile(initialized)
    assert found["differences"]["member"] == [
        {"id": contact.pk, "difference": "subscribed in Mailchimp, withdrawn in Shuup"}]
    reconcile(initialized, "--repair")
    process_due()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "unsubscribed"
    contact.refresh_from_db()
    assert contact.marketing_permission is False
    assert reconcile(initialized)["total"] == 0


@pytest.mark.django_db
def test_the_contact_page_says_an_opt_out_was_found_by_reconcile(initialized, emulator, admin_user):
    from django.test import Client

    contact = PersonContact.objects.create(first_name="Rec", last_name="On", email="found.late@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    process_due()
    emulator.unsubscribe_as_person(initialized.audience_id, contact.email)  # its webhook never arrived
    assert reconcile(initialized, "--repair")["repaired"]["opt-outs applied in Shuup"] == 1
    contact.refresh_from_db()
    assert contact.marketing_permission is False
    client = Client()
    client.force_login(admin_user)
    html = client.get("/sa/contacts/%d/" % contact.pk).content.decode()
    assert "found by mailchimp_reconcile on" in html and "received by webhook" not in html


@pytest.mark.django_db
def test_the_dashboard_says_when_a_drift_check_found_differences_until_they_are_repaired(
        initialized, emulator, admin_user):
    from django.test import Client

    contact = PersonContact.objects.create(first_name="Dash", last_name="Board", email="drifting@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    process_due()
    client = Client()
    client.force_login(admin_user)
    page = "/sa/mailchimp/shop/%d/" % initialized.shop_id
    assert "drift check" not in client.get(page).content.decode()
    with emulator._lock:
        emulator.lists[initialized.audience_id]["members"][_hash(contact.email)]["merge_fields"]["FNAME"] = "X"
    assert reconcile(initialized)["total"] == 1
    html = client.get(page).content.decode()
    assert "found differences between Mailchimp and Shuup" in html
    assert "mailchimp_reconcile --shop %d --repair" % initialized.shop_id in html
    reconcile(initialized, "--repair")
    assert "drift check" not in client.get(page).content.decode()
