"""The demo's commerce automations (shuup_mailchimp.testing.demo_automations): a cart, a promo code
and a sign-up land in the emulator, and a second run changes nothing."""
import io

import pytest
from shuup.testing import factories

from shuup_mailchimp.testing.demo_automations import (
    DEMO_CART_EMAIL,
    DEMO_COUPON,
    DEMO_PROMO_EMAIL,
    DEMO_SIGNUP_EMAIL,
    DEMO_TAG,
    seed_automations,
)

from .conftest import member_of


@pytest.mark.django_db
def test_the_demo_shows_a_cart_a_promo_code_and_a_signup(initialized, emulator):
    supplier = factories.get_default_supplier()
    for n in range(3):
        factories.create_product("demo-%d" % n, shop=initialized.shop, supplier=supplier, default_price=5 + n)
    out = io.StringIO()
    result = seed_automations(initialized.shop, stdout=out)
    store = emulator.snapshot()["stores"][initialized.store_id]
    cart = store["carts"][str(result["cart"])]
    assert len(cart["lines"]) == 2 and cart["checkout_url"]
    codes = [code["code"] for rule in store["promo_rules"].values() for code in rule["promo_codes"].values()]
    assert codes == [DEMO_COUPON]
    assert member_of(emulator, initialized.audience_id, DEMO_SIGNUP_EMAIL)["status"] == "pending"
    assert [t["name"] for t in member_of(emulator, initialized.audience_id, DEMO_CART_EMAIL)["tags"]] == [DEMO_TAG]
    assert "promo code %s (used by order #%s)" % (DEMO_COUPON, result["promo_order"]) in out.getvalue()
    [rule] = store["promo_rules"].values()
    assert [code["usage_count"] for code in rule["promo_codes"].values()] == [1]
    order = store["orders"][str(result["promo_order"])]
    assert [promo["code"] for promo in order["promos"]] == [DEMO_COUPON] and order["discount_total"] > 0
    assert member_of(emulator, initialized.audience_id, DEMO_PROMO_EMAIL)["status"] == "subscribed"
    writes = emulator.stats["writes"]
    again = seed_automations(initialized.shop)
    assert again["cart"] == result["cart"] and again["promo_order"] == result["promo_order"]
    assert emulator.stats["writes"] == writes


@pytest.mark.django_db
def test_the_demo_front_page_has_the_signup_box_and_it_signs_up(initialized, emulator):
    """The box the demo puts on the front page, used as a visitor would: the page's own form, posted."""
    import re

    from django.core.cache import cache
    from django.test import Client
    from shuup.xtheme import set_current_theme

    from shuup_mailchimp.testing.demo_admin import DEMO_THEME

    cache.clear()  # the sign-up rate limit
    set_current_theme(DEMO_THEME, initialized.shop)
    assert seed_automations(initialized.shop)["signup_box"] is True
    assert seed_automations(initialized.shop)["signup_box"] is True  # a second run adds no second box
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get("/").content.decode("utf-8")
    assert page.count('class="mailchimp-signup-form"') == 1 and "Our newsletter" in page
    form = re.search(r'<form method="post" action="([^"]+)" class="mailchimp-signup-form">(.*?)</form>', page, re.S)
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form.group(2)):
        attrs = dict(re.findall(r"""(\w+)=["']([^"']*)["']""", tag))
        if attrs.get("type") == "hidden":
            fields[attrs["name"]] = attrs.get("value", "")
    assert {"csrfmiddlewaretoken", "consent_ref", "next"} <= set(fields)
    fields.update(email="front.page.reader@mailbox.org", consent="1", website="")
    response = visitor.post(form.group(1), fields)
    assert response.status_code == 200 and "confirmation email" in response.content.decode("utf-8")
    assert member_of(emulator, initialized.audience_id, "front.page.reader@mailbox.org")["status"] == "pending"
    cache.clear()
