"""An abandoned cart's link in headless Chromium: the basket left on another device is sent to the
emulator as a cart, and its ``checkout_url`` opened in the browser asks the customer to log in, then
shows that basket. Screenshots: ``var/screenshots/test_cart_restore/``."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import Client
from django.urls import reverse
from shuup.core.models import get_person_contact
from shuup.front.models import StoredBasket
from shuup.testing import factories

from shuup_mailchimp.models import MailchimpShopSettings
from shuup_mailchimp.sync import carts
from shuup_mailchimp.sync.processing import process_due
from shuup_mailchimp.sync.store import initialize_store

from .helpers import element

KEY = "0123456789abcdef0123456789abcdef-us1"
pytestmark = pytest.mark.django_db(transaction=True)


def test_cart_restore(browser, shots, live_server, loopback_emulator, settings):
    settings.SHUUP_MAILCHIMP_DISPATCH = "inline"
    emu = loopback_emulator
    audience = emu.create_list(name="Shop audience")
    shop = factories.get_default_shop()
    shop.domain = "browser-shop.example-shop.com"
    shop.save()
    row = MailchimpShopSettings.objects.create(shop=shop, api_key=KEY, audience_id=audience["id"], enabled=True)
    initialize_store(row)
    row.refresh_from_db()
    supplier = factories.get_default_supplier()
    factories.get_default_shipping_method(), factories.get_default_payment_method()  # a basket that can check out
    kept = factories.create_product("restore-kept", shop=shop, supplier=supplier, default_price=25)
    kept.name = "Kept Teapot"
    kept.save()
    user = get_user_model().objects.create_user("cara", "cara.owner@mailbox.org", "pw-cara-1")
    contact = get_person_contact(user)
    contact.first_name, contact.last_name, contact.email = "Cara", "Owner", user.email
    contact.marketing_permission = True
    contact.save()
    contact.add_to_shop(shop)

    # Another device: the customer fills a basket and leaves it.
    phone = Client()
    phone.force_login(user)
    response = phone.post(reverse("shuup:basket"), {"command": "add", "product_id": kept.pk, "quantity": 2})
    assert response.status_code in (200, 302)
    basket = StoredBasket.objects.get(customer=contact, deleted=False)
    StoredBasket.objects.filter(pk=basket.pk).update(updated_on=F("updated_on") - timedelta(minutes=31))
    basket.refresh_from_db()
    carts.record_basket(shop.pk, basket)
    process_due(shop_id=shop.pk)
    cart = emu.snapshot()["stores"][row.store_id]["carts"][str(basket.pk)]
    path = cart["checkout_url"].split(shop.domain, 1)[1]
    assert path.startswith("/mailchimp/cart/")

    # The browser: no session of the customer's yet. The link asks them to log in, then restores the basket.
    driver = browser
    base = live_server.url
    driver.delete_all_cookies()
    driver.get(base + path)
    assert reverse("shuup:login") in driver.current_url
    element(driver, "input[name=username]").send_keys("cara")
    driver.find_element("css selector", "input[name=password]").send_keys("pw-cara-1")
    shots("login")
    driver.find_element("css selector", "input[name=password]").submit()
    element(driver, "body")
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not driver.current_url.endswith(reverse("shuup:basket")):
        time.sleep(0.2)
    assert driver.current_url.endswith(reverse("shuup:basket")), driver.current_url
    body = element(driver, "body").text
    assert "Kept Teapot" in body and "Welcome back" in body, body[:2000]
    assert "50.00" in body  # 2 x 25: the quantity left on the phone
    shots("basket")

    # A stranger's browser with the same link gets nothing.
    driver.delete_all_cookies()
    driver.get(base + path)
    assert reverse("shuup:login") in driver.current_url
    driver.get(base + reverse("shuup:basket"))
    assert "Kept Teapot" not in element(driver, "body").text
