"""The demo's commerce automations (shuup_mailchimp.testing.demo_automations): a cart, a promo code
and a sign-up land in the emulator, and a second run changes nothing."""
import io

import pytest
from shuup.testing import factories

from shuup_mailchimp.testing.demo_automations import (
    DEMO_CART_EMAIL,
    DEMO_COUPON,
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
    assert "promo code %s" % DEMO_COUPON in out.getvalue()
    writes = emulator.stats["writes"]
    again = seed_automations(initialized.shop)
    assert again["cart"] == result["cart"] and emulator.stats["writes"] == writes
