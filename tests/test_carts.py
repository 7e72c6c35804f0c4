"""Abandoned carts against the emulator: idle baskets become carts with a working restore link, and
go when the order is placed, the basket emptied, or for a contact who may not get marketing."""
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from shuup.core.models import PersonContact, get_person_contact
from shuup.front.models import StoredBasket
from shuup.testing import factories

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import carts
from shuup_mailchimp.sync.processing import process_due

from .conftest import member_of


@pytest.fixture
def catalog(initialized):
    supplier = factories.get_default_supplier()
    return [factories.create_product("cart-sku-%d" % n, shop=initialized.shop, supplier=supplier,
                                     default_price=10 + n) for n in range(3)]


def shopper(shop, email="cart.owner@mailbox.org", permission=True):
    user = factories.create_random_user(email=email)
    user.set_password("pw")
    user.save()
    contact = get_person_contact(user)
    contact.first_name, contact.last_name, contact.email = "Cara", "Owner", email
    contact.marketing_permission = permission
    contact.save()
    contact.add_to_shop(shop)
    return user, contact


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def add_to_basket(client, product, quantity=1):
    response = client.post(reverse("shuup:basket"), {"command": "add", "product_id": product.pk, "quantity": quantity})
    assert response.status_code in (200, 302)
    return StoredBasket.objects.filter(deleted=False).order_by("-updated_on").first()


def leave_idle(basket, minutes=31):
    """Time passes: the basket was last changed ``minutes`` ago (and its item is due since then + idle time)."""
    StoredBasket.objects.filter(pk=basket.pk).update(updated_on=F("updated_on") - timedelta(minutes=minutes))
    basket.refresh_from_db()
    carts.record_basket(basket.shop_id, basket)  # what the receiver recorded, with the clock moved on
    return basket


def check_out(user, contact, basket):
    """What the checkout's confirm phase does with the visitor's basket: the order, then the basket finalized."""
    from django.test import RequestFactory
    from shuup.core.basket import get_basket_order_creator
    from shuup.front.basket.objects import BaseBasket

    request = RequestFactory().post("/checkout/confirm/")
    request.session = {"basket_basket_key": {"pk": basket.pk, "key": basket.key}}
    request.shop, request.user, request.customer, request.person = basket.shop, user, contact, contact
    front_basket = BaseBasket(request)
    front_basket.orderer = front_basket.customer = contact
    front_basket.creator = user
    front_basket.shipping_address = factories.create_random_address()
    front_basket.billing_address = factories.create_random_address()
    front_basket.shipping_method = factories.get_default_shipping_method()
    front_basket.payment_method = factories.get_default_payment_method()
    front_basket.marketing_permission = True  # the customer keeps the box ticked
    front_basket.status = factories.get_initial_order_status()
    order = get_basket_order_creator().create_order(front_basket)
    front_basket.finalize()
    return order


def remote_cart(emulator, settings, basket_id):
    return emulator.snapshot()["stores"][settings.store_id]["carts"].get(str(basket_id))


def cart_item(basket):
    return MailchimpSyncItem.objects.get(kind=SyncKind.CART, object_id=basket.pk)


@pytest.mark.django_db
def test_an_idle_basket_becomes_a_cart_whose_link_restores_it(initialized, emulator, catalog):
    user, contact = shopper(initialized.shop)
    client = logged_in(user)
    add_to_basket(client, catalog[0], 2)
    basket = add_to_basket(client, catalog[1])
    assert basket.customer_id == contact.pk

    # Not idle yet: nothing goes, whoever runs (the periodic run, or an operator's flush).
    process_due(shop_id=initialized.shop_id)
    process_due(shop_id=initialized.shop_id, ignore_backoff=True)
    assert remote_cart(emulator, initialized, basket.pk) is None
    item = cart_item(basket)
    assert item.status == SyncStatus.PENDING
    assert item.next_attempt_at == basket.updated_on + timedelta(minutes=30)

    leave_idle(basket)
    summary = process_due(shop_id=initialized.shop_id)
    assert summary.failed == 0
    cart = remote_cart(emulator, initialized, basket.pk)
    assert cart["customer"]["id"] == str(contact.pk)
    assert cart["currency_code"] == initialized.shop.currency
    assert cart["order_total"] == pytest.approx(float(basket.taxful_total_price_value))
    assert sorted((line["product_id"], line["quantity"]) for line in cart["lines"]) == sorted(
        [(str(catalog[0].pk), 2), (str(catalog[1].pk), 1)])
    store = emulator.snapshot()["stores"][initialized.store_id]
    assert {str(catalog[0].pk), str(catalog[1].pk)} <= set(store["products"])  # ensured first
    assert cart_item(basket).status == SyncStatus.SYNCED

    # The link, signed for this person and basket, restores it in a fresh session of theirs.
    url = cart["checkout_url"]
    assert url.startswith("https://%s/mailchimp/cart/" % initialized.shop.domain)
    other_device = logged_in(user)
    response = other_device.get(url.split(initialized.shop.domain, 1)[1])
    assert response.status_code == 302 and response["Location"].endswith(reverse("shuup:basket"))
    assert other_device.session["basket_basket_key"] == {"pk": basket.pk, "key": basket.key}
    page = other_device.get(reverse("shuup:basket"))
    assert catalog[0].name in page.content.decode("utf-8")


@pytest.mark.django_db
def test_a_registered_customers_link_asks_for_their_login(initialized, emulator, catalog):
    user, contact = shopper(initialized.shop)
    basket = leave_idle(add_to_basket(logged_in(user), catalog[0]))
    process_due(shop_id=initialized.shop_id)
    path = remote_cart(emulator, initialized, basket.pk)["checkout_url"].split(initialized.shop.domain, 1)[1]
    stranger = Client()
    response = stranger.get(path)
    assert response.status_code == 302 and reverse("shuup:login") in response["Location"]
    assert "basket_basket_key" not in stranger.session
    someone_else, _ = shopper(initialized.shop, email="someone.else@mailbox.org")
    other = logged_in(someone_else)
    other.get(path)
    assert "basket_basket_key" not in other.session


@pytest.mark.django_db
def test_a_guest_who_gave_consent_gets_a_cart_and_the_link_restores_it(initialized, emulator, catalog):
    known = PersonContact.objects.create(email="guest.buyer@mailbox.org", first_name="Gus", marketing_permission=True)
    known.add_to_shop(initialized.shop)
    guest = Client()
    basket = add_to_basket(guest, catalog[2])
    assert basket.customer_id is None
    assert not MailchimpSyncItem.objects.filter(kind=SyncKind.CART).exists()  # anonymous: nothing recorded
    data = dict(basket.data, billing_address_data={"name": "Gus Guest", "email": "Guest.Buyer@mailbox.org"})
    basket.data = data
    basket.save()  # the checkout's address phase: the guest typed their address
    leave_idle(basket)
    process_due(shop_id=initialized.shop_id)
    cart = remote_cart(emulator, initialized, basket.pk)
    assert cart["customer"]["id"] == str(known.pk)
    fresh = Client()
    fresh.get(cart["checkout_url"].split(initialized.shop.domain, 1)[1])
    assert fresh.session["basket_basket_key"]["pk"] == basket.pk


@pytest.mark.django_db
def test_a_guest_without_consent_never_gets_a_cart(initialized, emulator, catalog):
    guest = Client()
    basket = add_to_basket(guest, catalog[0])
    basket.data = dict(basket.data, billing_address_data={"email": "stranger@mailbox.org"})
    basket.save()
    leave_idle(basket)
    process_due(shop_id=initialized.shop_id)
    assert remote_cart(emulator, initialized, basket.pk) is None
    assert "no marketing permission" in cart_item(basket).note


@pytest.mark.django_db
def test_the_basket_of_a_contact_without_consent_never_becomes_a_cart(initialized, emulator, catalog):
    user, contact = shopper(initialized.shop, permission=False)
    basket = leave_idle(add_to_basket(logged_in(user), catalog[0]))
    process_due(shop_id=initialized.shop_id, ignore_backoff=True)
    assert remote_cart(emulator, initialized, basket.pk) is None
    assert emulator.snapshot()["stores"][initialized.store_id]["carts"] == {}
    item = cart_item(basket)
    assert item.status == SyncStatus.SYNCED and "no marketing permission" in item.note


@pytest.mark.django_db
def test_a_contact_whose_address_mailchimp_cleaned_gets_no_cart(initialized, emulator, catalog):
    from urllib.parse import urlencode

    from shuup_mailchimp.sync.webhook_setup import webhook_path
    from shuup_mailchimp.testing.emulator.webhooks import build_payload, member_data

    user, contact = shopper(initialized.shop)
    emulator.clean_member(initialized.audience_id, contact.email)  # the address bounced
    lst = emulator.lists[initialized.audience_id]
    member = next(m for m in lst["members"].values() if m["email_address"] == contact.email)
    form = build_payload("cleaned", dict(member_data(lst, member), reason="hard"))
    Client().post(webhook_path(initialized), urlencode(form), content_type="application/x-www-form-urlencoded")
    basket = leave_idle(add_to_basket(logged_in(user), catalog[0]))
    process_due(shop_id=initialized.shop_id)  # applies the webhook first, then the cart item
    contact.refresh_from_db()
    assert contact.marketing_permission  # still on in Shuup: the contact item's state says no
    assert remote_cart(emulator, initialized, basket.pk) is None
    assert "cleaned" in cart_item(basket).note


@pytest.mark.django_db
def test_placing_the_order_removes_the_cart_and_the_tag(initialized, emulator, catalog):
    initialized.abandoned_cart_tag = "Abandoned cart"
    initialized.save()
    user, contact = shopper(initialized.shop)
    basket = leave_idle(add_to_basket(logged_in(user), catalog[0]))
    process_due(shop_id=initialized.shop_id)
    assert remote_cart(emulator, initialized, basket.pk) is not None
    tags = member_of(emulator, initialized.audience_id, contact.email)["tags"]
    assert [t["name"] for t in tags] == ["Abandoned cart"]

    order = check_out(user, contact, basket)
    assert order.lines.filter(product=catalog[0]).exists()
    basket.refresh_from_db()
    assert basket.finished
    process_due(shop_id=initialized.shop_id)
    assert remote_cart(emulator, initialized, basket.pk) is None
    assert member_of(emulator, initialized.audience_id, contact.email)["tags"] == []
    assert "order placed" in cart_item(basket).note


@pytest.mark.django_db
def test_an_order_removes_the_customers_other_abandoned_carts(initialized, emulator, catalog):
    user, contact = shopper(initialized.shop)
    old = leave_idle(add_to_basket(logged_in(user), catalog[0]), minutes=24 * 60)  # yesterday, another device
    process_due(shop_id=initialized.shop_id)
    assert remote_cart(emulator, initialized, old.pk) is not None
    factories.create_random_order(customer=contact, products=[catalog[1]], shop=initialized.shop,
                                  random_products=False, order_date=timezone.now())
    process_due(shop_id=initialized.shop_id)  # the periodic run
    assert remote_cart(emulator, initialized, old.pk) is None
    assert "ordered since" in cart_item(old).note


@pytest.mark.django_db
def test_a_withdrawal_removes_the_waiting_cart(initialized, emulator, catalog):
    user, contact = shopper(initialized.shop)
    basket = leave_idle(add_to_basket(logged_in(user), catalog[0]))
    process_due(shop_id=initialized.shop_id)
    assert remote_cart(emulator, initialized, basket.pk) is not None
    contact.marketing_permission = False
    contact.save()
    process_due(shop_id=initialized.shop_id)
    assert remote_cart(emulator, initialized, basket.pk) is None
    assert "no marketing permission" in cart_item(basket).note


@pytest.mark.django_db
def test_emptying_the_basket_removes_the_cart(initialized, emulator, catalog):
    user, contact = shopper(initialized.shop)
    client = logged_in(user)
    basket = leave_idle(add_to_basket(client, catalog[0]))
    process_due(shop_id=initialized.shop_id)
    assert remote_cart(emulator, initialized, basket.pk) is not None
    client.post(reverse("shuup:basket"), {"command": "clear"})
    basket.refresh_from_db()
    assert basket.product_count == 0
    process_due(shop_id=initialized.shop_id)
    assert remote_cart(emulator, initialized, basket.pk) is None
    assert "emptied" in cart_item(basket).note


@pytest.mark.django_db
def test_a_changed_cart_is_updated_after_a_new_idle_time(initialized, emulator, catalog):
    user, contact = shopper(initialized.shop)
    client = logged_in(user)
    basket = leave_idle(add_to_basket(client, catalog[0]))
    process_due(shop_id=initialized.shop_id)
    assert len(remote_cart(emulator, initialized, basket.pk)["lines"]) == 1
    basket = add_to_basket(client, catalog[1])  # the customer comes back: the wait starts again
    process_due(shop_id=initialized.shop_id)
    assert len(remote_cart(emulator, initialized, basket.pk)["lines"]) == 1
    leave_idle(basket)
    process_due(shop_id=initialized.shop_id)
    assert len(remote_cart(emulator, initialized, basket.pk)["lines"]) == 2
    writes = emulator.stats["writes"]
    leave_idle(basket)  # unchanged: nothing sent again
    process_due(shop_id=initialized.shop_id)
    assert emulator.stats["writes"] == writes


@pytest.mark.django_db
def test_carts_can_be_switched_off_per_shop(initialized, emulator, catalog):
    initialized.send_carts = False
    initialized.save()
    user, contact = shopper(initialized.shop)
    basket = leave_idle(add_to_basket(logged_in(user), catalog[0]))
    process_due(shop_id=initialized.shop_id)
    assert remote_cart(emulator, initialized, basket.pk) is None


@pytest.mark.django_db
def test_an_expired_or_altered_link_restores_nothing(initialized, emulator, catalog, settings):
    user, contact = shopper(initialized.shop)
    basket = leave_idle(add_to_basket(logged_in(user), catalog[0]))
    token = carts.restore_token(basket.pk, contact.pk)
    client = logged_in(user)
    assert client.get(carts.restore_path(token[:-2] + "xx")).status_code == 404
    settings.SHUUP_MAILCHIMP_CART_LINK_MAX_AGE = 0
    response = client.get(carts.restore_path(token))
    assert response.status_code == 302 and "basket_basket_key" not in client.session


@pytest.mark.django_db
def test_the_emulator_validates_carts_as_mailchimp_does(initialized, emulator, catalog):
    from shuup_mailchimp.client import client_for
    from shuup_mailchimp.client.carts import create_cart
    from shuup_mailchimp.exceptions import MailchimpAPIError

    client = client_for(initialized, log=False)
    line = {"id": "l1", "product_id": "404", "product_variant_id": "404", "quantity": 1, "price": 1.0}
    base = {"id": "c1", "currency_code": "EUR", "order_total": 1.0, "lines": [line]}
    with pytest.raises(MailchimpAPIError) as unknown_product:
        create_cart(client, initialized.store_id, dict(base, customer={"id": "x", "email_address": "x@mailbox.org",
                                                                        "opt_in_status": False}))
    assert unknown_product.value.status == 400 and "product" in unknown_product.value.detail
    with pytest.raises(MailchimpAPIError) as no_customer:
        create_cart(client, initialized.store_id, base)
    assert no_customer.value.status == 400


@pytest.mark.django_db
def test_a_saved_basket_costs_the_request_one_write_and_no_api_call(initialized, emulator, catalog,
                                                                    django_assert_max_num_queries):
    user, contact = shopper(initialized.shop)
    basket = add_to_basket(logged_in(user), catalog[0])
    requests = emulator.stats["requests"]
    with django_assert_max_num_queries(1):  # an existing cart item: one UPDATE
        carts.record_basket(initialized.shop_id, basket)
    basket.save()
    assert emulator.stats["requests"] == requests
    assert cart_item(basket).next_attempt_at > timezone.now()


@pytest.mark.django_db
def test_mailchimp_sync_sends_the_idle_carts_only(initialized, emulator, catalog):
    from io import StringIO

    from django.core.management import call_command

    user, contact = shopper(initialized.shop)
    client = logged_in(user)
    idle = leave_idle(add_to_basket(client, catalog[0]))
    other_user, _ = shopper(initialized.shop, email="busy.shopper@mailbox.org")
    busy = add_to_basket(logged_in(other_user), catalog[1])  # still shopping
    call_command("mailchimp_sync", "--shop", str(initialized.shop_id), "--no-progress", stdout=StringIO())
    assert remote_cart(emulator, initialized, idle.pk) is not None
    assert remote_cart(emulator, initialized, busy.pk) is None
    assert cart_item(busy).status == SyncStatus.PENDING and cart_item(busy).next_attempt_at > timezone.now()
    assert carts.preview(cart_item(busy), initialized)[0][1]["lines"][0]["product_id"] == str(catalog[1].pk)
