"""Defects the fault soak (bench/reliability/fault_soak.py) found, each pinned by a test."""
from urllib.parse import urlencode

import pytest
from django.test import Client
from shuup.core.models import PersonContact

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync.webhook_setup import webhook_path
from shuup_mailchimp.testing.emulator.webhooks import build_payload, member_data

from .conftest import member_of, store_of


def person(shop, email="ann.lee@mailbox.org", permission=True):
    contact = PersonContact.objects.create(first_name="Ann", last_name="Lee", email=email,
                                           marketing_permission=permission)
    contact.add_to_shop(shop)
    return contact


def contact_item(contact):
    return MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk)


def deliver(shop_settings, form):
    """The webhook form Mailchimp POSTs, delivered to the shop's endpoint."""
    response = Client().post(webhook_path(shop_settings), urlencode(form),
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


def member_form(emulator, audience_id, event_type, email, **extra):
    lst = emulator.lists[audience_id]
    member = next(m for m in lst["members"].values() if m["email_address"].lower() == email.lower())
    return build_payload(event_type, dict(member_data(lst, member), **extra))


@pytest.mark.django_db
def test_an_address_changed_in_mailchimp_moves_the_customer_so_the_next_sync_does_not_fail(initialized, emulator):
    """Two-way upemail changed the contact's email, but the customer kept its id: the next sync
    PUT the customer with a new email, which Mailchimp refuses for good ("An email address may not
    be changed once a customer is created"), and every later order of the contact failed with it."""
    initialized.two_way_sync = True
    initialized.save()
    contact = person(initialized.shop)
    assert contact_item(contact).status == SyncStatus.SYNCED
    emulator.fire_webhook(initialized.audience_id, "upemail", contact.email, new_email="ann.new@mailbox.org")
    deliver(initialized, build_payload("upemail", {"list_id": initialized.audience_id, "new_id": "x",
                                                   "old_email": contact.email, "new_email": "ann.new@mailbox.org"}))
    contact.refresh_from_db()
    assert contact.email == "ann.new@mailbox.org"
    contact.last_name = "Edited"
    contact.save()
    item = contact_item(contact)
    assert item.status == SyncStatus.SYNCED, item.last_error_detail
    customers = store_of(emulator, initialized.store_id)["customers"]
    assert customers[item.remote_id]["email_address"] == "ann.new@mailbox.org"
    assert customers[str(contact.pk)]["email_address"] == "ann.lee@mailbox.org"  # Mailchimp keeps the old one
    assert member_of(emulator, initialized.audience_id, "ann.new@mailbox.org")["merge_fields"]["LNAME"] == "Edited"


@pytest.mark.django_db
def test_permission_given_again_after_an_unsubscribe_in_mailchimp_is_sent(initialized, emulator):
    """The webhook taught the item that the person unsubscribed (state permission false), but the
    fingerprint still described the last sync (permission true): giving permission again in Shuup
    looked "unchanged" and nothing was sent, the member stayed unsubscribed."""
    contact = person(initialized.shop)
    emulator.unsubscribe_as_person(initialized.audience_id, contact.email)
    deliver(initialized, member_form(emulator, initialized.audience_id, "unsubscribe", contact.email,
                                     action="unsub", reason="manual"))
    contact.refresh_from_db()
    assert contact.marketing_permission is False
    contact.marketing_permission = True
    contact.save()
    assert contact_item(contact).note != "unchanged"
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"  # re-confirmation


@pytest.mark.django_db
def test_the_full_sync_sends_permission_given_again_after_an_unsubscribe_in_mailchimp(initialized, emulator,
                                                                                     settings):
    from shuup_mailchimp.sync import fullsync

    settings.SHUUP_MAILCHIMP_FULL_SYNC_POLL_INTERVAL = (0.001, 0.02)
    contact = person(initialized.shop)
    emulator.unsubscribe_as_person(initialized.audience_id, contact.email)
    deliver(initialized, member_form(emulator, initialized.audience_id, "unsubscribe", contact.email,
                                     action="unsub", reason="manual"))
    PersonContact.objects.filter(pk=contact.pk).update(marketing_permission=True)  # e.g. an import: no signal
    fullsync.run_full_sync(initialized.shop_id)
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"


# Carts (sync/carts.py): they follow the contact's consent and address, whichever side changed them

@pytest.fixture
def cart_shop(initialized):
    from shuup.testing import factories

    initialized.abandoned_cart_tag = "Abandoned cart"
    initialized.two_way_sync = True
    initialized.save()
    supplier = factories.get_default_supplier()
    return initialized, [factories.create_product("soak-cart-%d" % n, shop=initialized.shop, supplier=supplier,
                                                  default_price=10 + n) for n in range(2)]


def idle_basket(shop_settings, contact, product):
    """A basket of the contact's left alone longer than the idle time (what the receiver records)."""
    from datetime import timedelta

    from django.db.models import F
    from shuup.front.models import StoredBasket

    from shuup_mailchimp.sync import carts

    basket = StoredBasket.objects.create(
        shop=shop_settings.shop, customer=contact, currency=shop_settings.shop.currency, product_count=1,
        prices_include_tax=shop_settings.shop.prices_include_tax,
        taxful_total_price_value=10, taxless_total_price_value=10,
        data={"lines": [{"line_id": "l1", "product_id": product.pk, "quantity": 1, "base_unit_price": "10"}]})
    StoredBasket.objects.filter(pk=basket.pk).update(updated_on=F("updated_on") - timedelta(minutes=31))
    basket.refresh_from_db()
    carts.record_basket(basket.shop_id, basket)
    return basket


def run():
    from shuup_mailchimp.sync.processing import process_due

    process_due()


def remote_cart(emulator, shop_settings, basket):
    return store_of(emulator, shop_settings.store_id)["carts"].get(str(basket.pk))


def tags_of(emulator, shop_settings, email):
    member = member_of(emulator, shop_settings.audience_id, email)
    return [t["name"] for t in member["tags"]] if member else []


@pytest.mark.django_db
def test_an_idle_basket_becomes_a_cart_when_permission_is_given_later(cart_shop, emulator):
    shop_settings, products = cart_shop
    contact = person(shop_settings.shop, permission=False)
    basket = idle_basket(shop_settings, contact, products[0])
    run()
    assert remote_cart(emulator, shop_settings, basket) is None
    contact.marketing_permission = True
    contact.save()
    run()
    assert remote_cart(emulator, shop_settings, basket) is not None  # no basket change needed


@pytest.mark.django_db
def test_an_unsubscribe_in_mailchimp_deletes_the_cart_and_its_tag(cart_shop, emulator):
    shop_settings, products = cart_shop
    contact = person(shop_settings.shop)
    basket = idle_basket(shop_settings, contact, products[0])
    run()
    assert remote_cart(emulator, shop_settings, basket) is not None
    emulator.unsubscribe_as_person(shop_settings.audience_id, contact.email)
    deliver(shop_settings, member_form(emulator, shop_settings.audience_id, "unsubscribe", contact.email,
                                       action="unsub", reason="manual"))
    run()
    assert remote_cart(emulator, shop_settings, basket) is None
    assert tags_of(emulator, shop_settings, contact.email) == []


@pytest.mark.parametrize("side", ["shuup", "mailchimp"])
@pytest.mark.django_db
def test_a_cart_follows_its_contact_to_a_new_address_and_is_untagged_there(cart_shop, emulator, side):
    """The cart kept naming the customer at the old address (the abandoned-cart email goes to the
    customer's email), and its tag, carried along by the member's move, was removed at the old
    address only: the member at the new address kept it after the cart was gone."""
    shop_settings, products = cart_shop
    contact = person(shop_settings.shop)
    basket = idle_basket(shop_settings, contact, products[0])
    run()
    assert tags_of(emulator, shop_settings, contact.email) == ["Abandoned cart"]
    new_email = "ann.moved@mailbox.org"
    if side == "shuup":
        contact.email = new_email
        contact.save()
    else:
        emulator.fire_webhook(shop_settings.audience_id, "upemail", contact.email, new_email=new_email)
        deliver(shop_settings, build_payload("upemail", {"list_id": shop_settings.audience_id, "new_id": "x",
                                                         "old_email": contact.email, "new_email": new_email}))
    run()
    store = store_of(emulator, shop_settings.store_id)
    cart = store["carts"][str(basket.pk)]
    assert store["customers"][cart["customer"]["id"]]["email_address"] == new_email
    assert tags_of(emulator, shop_settings, new_email) == ["Abandoned cart"]
    contact.refresh_from_db()
    contact.marketing_permission = False
    contact.save()
    run()
    assert remote_cart(emulator, shop_settings, basket) is None
    assert tags_of(emulator, shop_settings, new_email) == []


@pytest.mark.django_db
def test_a_withdrawal_that_failed_half_way_still_deletes_the_cart(cart_shop, emulator, monkeypatch):
    """The member PUT went through (its state saved on the way), the customer PUT failed: the retry
    saw no permission change any more, so the cart and its tag stayed for a person who withdrew."""
    from shuup_mailchimp.exceptions import MailchimpTransientError
    from shuup_mailchimp.sync import contacts
    from shuup_mailchimp.sync.processing import process_due

    shop_settings, products = cart_shop
    contact = person(shop_settings.shop)
    basket = idle_basket(shop_settings, contact, products[0])
    run()
    assert remote_cart(emulator, shop_settings, basket) is not None
    real, calls = contacts.ecommerce.upsert_customer, []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise MailchimpTransientError(status=503, title="Service Unavailable")
        return real(*args, **kwargs)

    monkeypatch.setattr(contacts.ecommerce, "upsert_customer", fails_once)
    contact.marketing_permission = False
    contact.save()
    assert contact_item(contact).status == SyncStatus.PENDING  # retrying
    process_due(ignore_backoff=True)
    process_due(ignore_backoff=True)
    assert contact_item(contact).status == SyncStatus.SYNCED
    assert remote_cart(emulator, shop_settings, basket) is None
    assert tags_of(emulator, shop_settings, contact.email) == []


@pytest.mark.django_db
def test_groups_changed_by_a_profile_webhook_update_their_tags_at_once(initialized, emulator):
    """Two-way profile interests -> contact groups were applied with recording suppressed (no echo),
    so a group kept as a Mailchimp tag did not follow until the daily tag refresh."""
    from shuup.core.models import ContactGroup

    from shuup_mailchimp.sync.processing import process_due
    from shuup_mailchimp.sync.segments import choose_groups

    initialized.two_way_sync = True
    initialized.save()
    vip = ContactGroup.objects.create(shop=initialized.shop, name="VIP")
    choose_groups(initialized.shop, [vip.pk])
    contact = person(initialized.shop)
    process_due()
    form = member_form(emulator, initialized.audience_id, "profile", contact.email)
    form["data[merges][INTERESTS]"] = "VIP"
    deliver(initialized, form)
    assert vip.members.filter(pk=contact.pk).exists()
    process_due()
    assert "VIP" in [t["name"] for t in member_of(emulator, initialized.audience_id, contact.email)["tags"]]


@pytest.mark.django_db
def test_a_new_address_is_not_cleaned_because_the_old_one_bounced(initialized, emulator):
    """The member at a bounced (cleaned) address was moved to the contact's new address, status
    "cleaned" and all: the new address, which never bounced, got nothing again."""
    contact = person(initialized.shop)
    emulator.clean_member(initialized.audience_id, contact.email)
    deliver(initialized, build_payload("cleaned", {"list_id": initialized.audience_id, "campaign_id": "",
                                                   "reason": "hard", "email": contact.email}))
    assert contact_item(contact).state["undeliverable"] is True
    contact.email = "ann.works@mailbox.org"
    contact.save()
    assert member_of(emulator, initialized.audience_id, "ann.works@mailbox.org")["status"] == "subscribed"
    assert member_of(emulator, initialized.audience_id, "ann.lee@mailbox.org")["status"] == "cleaned"
    contact.last_name = "Again"
    contact.save()
    assert member_of(emulator, initialized.audience_id, "ann.works@mailbox.org")["merge_fields"]["LNAME"] == "Again"


@pytest.mark.parametrize("lost_answer", ["create_cart", "set_member_tag"])
@pytest.mark.django_db
def test_a_cart_made_by_a_call_whose_answer_was_lost_is_deleted_when_the_basket_closes(cart_shop, emulator,
                                                                                     monkeypatch, lost_answer):
    """Mailchimp made the cart (or tagged the member), then the connection dropped before its answer;
    the basket was ordered before the retry, and the withdrawal, which knew of no cart, left it (and
    the tag) in Mailchimp: the abandoned-cart email would go out for a basket that was ordered."""
    from shuup_mailchimp.client import carts as api
    from shuup_mailchimp.exceptions import MailchimpConnectionError

    shop_settings, products = cart_shop
    contact = person(shop_settings.shop)
    real = getattr(api, lost_answer)

    def applied_then_dropped(*args, **kwargs):
        real(*args, **kwargs)
        raise MailchimpConnectionError(title="Connection failed", detail="Connection aborted (after it was applied)")

    monkeypatch.setattr(api, lost_answer, applied_then_dropped)
    basket = idle_basket(shop_settings, contact, products[0])
    run()
    assert remote_cart(emulator, shop_settings, basket) is not None
    if lost_answer == "set_member_tag":
        assert tags_of(emulator, shop_settings, contact.email) == ["Abandoned cart"]
    monkeypatch.setattr(api, lost_answer, real)
    basket.finished = True  # ordered before the retry
    basket.save()
    run()
    assert remote_cart(emulator, shop_settings, basket) is None
    assert tags_of(emulator, shop_settings, contact.email) == []


@pytest.mark.django_db
def test_a_failed_batch_status_poll_does_not_stop_the_full_sync(initialized, emulator, settings, monkeypatch):
    """One dropped connection on a ``GET /batches/{id}`` stopped the whole full sync ("interrupted";
    only the next full sync continued it): a poll is a read, polled again later."""
    from shuup_mailchimp.client import batches as api
    from shuup_mailchimp.enums import FullSyncStatus
    from shuup_mailchimp.exceptions import MailchimpConnectionError
    from shuup_mailchimp.sync import fullsync

    settings.SHUUP_MAILCHIMP_FULL_SYNC_POLL_INTERVAL = (0.001, 0.02)
    initialized.enabled = False
    initialized.save()
    for n in range(3):
        person(initialized.shop, email="poll%d@mailbox.org" % n)
    MailchimpSyncItem.objects.all().delete()
    initialized.enabled = True
    initialized.save()
    real, calls = api.statuses, []

    def fails_twice(*args, **kwargs):
        calls.append(1)
        if len(calls) <= 2:
            raise MailchimpConnectionError(title="Connection failed", detail="Connection aborted")
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "statuses", fails_twice)
    run = fullsync.run_full_sync(initialized.shop_id)
    assert run.status == FullSyncStatus.FINISHED, run.error
    assert len(calls) > 2
    assert member_of(emulator, initialized.audience_id, "poll2@mailbox.org") is not None
