"""E-commerce: stores, customers (and their members), products, variants, orders, carts, promos, rollups."""
import pytest
import requests
from mailchimp3.mailchimpclient import MailChimpError

from .conftest import BASE, KEY, error_of


@pytest.fixture
def store_id(mc, list_id):
    mc.stores.create({"id": "shop1", "list_id": list_id, "name": "Shop", "currency_code": "EUR",
                      "domain": "shop.test", "is_syncing": True})
    return "shop1"


def _product(mc, store_id, pid="p1", variants=("p1",)):
    return mc.stores.products.create(store_id, {
        "id": pid, "title": f"Product {pid}",
        "variants": [{"id": vid, "title": f"Variant {vid}", "price": 10} for vid in variants]})


def _order(mc, store_id, oid="o1", customer=None, **extra):
    body = {"id": oid, "customer": customer or {"id": "c1"}, "currency_code": "EUR", "order_total": 25.0,
            "lines": [{"id": "l1", "product_id": "p1", "product_variant_id": "p1", "quantity": 2, "price": 10}]}
    body.update(extra)
    return mc.stores.orders.create(store_id, body)


def _customer(mc, store_id, cid="c1", email="buyer@shop.test", opt_in=False):
    return mc.stores.customers.create(store_id, {"id": cid, "email_address": email, "opt_in_status": opt_in})


def test_store_rules(mc, emu, list_id, store_id):
    store = mc.stores.get(store_id)
    assert store["list_id"] == list_id and store["is_syncing"] is True
    assert store["connected_site"]["site_script"]["url"]
    with pytest.raises(MailChimpError) as excinfo:
        mc.stores.create({"id": "shop1", "list_id": list_id, "name": "Again", "currency_code": "EUR"})
    assert error_of(excinfo)["status"] == 400 and "already exists" in error_of(excinfo)["detail"]
    with pytest.raises(MailChimpError) as excinfo:
        mc.stores.create({"id": "shop2", "list_id": list_id, "name": "Other", "currency_code": "EUR",
                          "domain": "shop.test"})
    assert "A store with the domain shop.test already exists in the account." in error_of(excinfo)["detail"]
    other_list = emu.create_list("Other")["id"]
    with pytest.raises(MailChimpError) as excinfo:
        mc.stores.update(store_id, {"list_id": other_list})
    assert error_of(excinfo)["status"] == 400
    assert mc.stores.update(store_id, {"is_syncing": False, "list_id": list_id})["is_syncing"] is False
    assert mc.stores.get(store_id)["list_id"] == list_id


def test_store_delete_cascades(mc, emu, store_id):
    _product(mc, store_id)
    _customer(mc, store_id)
    _order(mc, store_id)
    assert mc.stores.delete(store_id) is None
    assert emu.snapshot()["stores"] == {}
    with pytest.raises(MailChimpError) as excinfo:
        mc.stores.orders.get(store_id, "o1")
    assert error_of(excinfo)["status"] == 404


def test_customer_creates_member_from_opt_in_and_never_overwrites(mc, list_id, store_id):
    _customer(mc, store_id, "c1", "yes@shop.test", opt_in=True)
    _customer(mc, store_id, "c2", "no@shop.test", opt_in=False)
    assert mc.lists.members.get(list_id, "yes@shop.test")["status"] == "subscribed"
    assert mc.lists.members.get(list_id, "no@shop.test")["status"] == "transactional"
    mc.lists.members.create(list_id, {"email_address": "gone@shop.test", "status": "unsubscribed"})
    _customer(mc, store_id, "c3", "gone@shop.test", opt_in=True)
    assert mc.lists.members.get(list_id, "gone@shop.test")["status"] == "unsubscribed"
    # false -> true upgrades a transactional member; true -> false changes nothing.
    mc.stores.customers.update(store_id, "c2", {"opt_in_status": True})
    assert mc.lists.members.get(list_id, "no@shop.test")["status"] == "subscribed"
    mc.stores.customers.update(store_id, "c1", {"opt_in_status": False})
    assert mc.lists.members.get(list_id, "yes@shop.test")["status"] == "subscribed"


def test_customer_rules(mc, store_id):
    _customer(mc, store_id)
    with pytest.raises(MailChimpError) as excinfo:
        _customer(mc, store_id)
    assert "already exists" in error_of(excinfo)["detail"]
    with pytest.raises(MailChimpError) as excinfo:
        mc.stores.customers.update(store_id, "c1", {"email_address": "other@shop.test"})
    assert error_of(excinfo)["detail"] == "An email address may not be changed once a customer is created."
    upserted = mc.stores.customers.create_or_update(store_id, "c9", {
        "id": "c9", "email_address": "c9@shop.test", "opt_in_status": False, "first_name": "Nine"})
    assert upserted["first_name"] == "Nine"
    with pytest.raises(MailChimpError) as excinfo:
        _customer(mc, store_id, "x" * 51, "long@shop.test")
    assert error_of(excinfo)["status"] == 400
    assert mc.stores.customers.all(store_id, email_address="c9@shop.test")["total_items"] == 1
    mc.stores.customers.delete(store_id, "c9")
    assert mc.stores.customers.all(store_id)["total_items"] == 1


def test_products_and_variants(mc, store_id):
    _product(mc, store_id, "p1", ("v1", "v2"))
    with pytest.raises(MailChimpError) as excinfo:
        _product(mc, store_id, "p1")
    assert "A product with the provided ID already exists in the account." in error_of(excinfo)["detail"]
    response = requests.post(BASE + f"/3.0/ecommerce/stores/{store_id}/products", auth=("x", KEY),
                             json={"id": "p2", "title": "No variants", "variants": []})
    assert response.status_code == 400
    put = requests.put(BASE + f"/3.0/ecommerce/stores/{store_id}/products/p3", auth=("x", KEY),
                       json={"id": "p3", "title": "Upserted", "variants": [{"id": "p3", "title": "P3"}]})
    assert put.status_code == 200 and put.json()["variants"][0]["id"] == "p3"
    mc.stores.products.update(store_id, "p1", {"title": "Renamed"})
    assert mc.stores.products.get(store_id, "p1")["title"] == "Renamed"
    variants = mc.stores.products.variants
    variants.create(store_id, "p1", {"id": "v3", "title": "V3"})
    variants.create_or_update(store_id, "p1", "v4", {"id": "v4", "title": "V4"})
    variants.update(store_id, "p1", "v1", {"price": 99})
    assert variants.get(store_id, "p1", "v1")["price"] == 99
    variants.delete(store_id, "p1", "v2")
    assert sorted(v["id"] for v in variants.all(store_id, "p1")["variants"]) == ["v1", "v3", "v4"]
    mc.stores.products.delete(store_id, "p3")
    assert mc.stores.products.all(store_id)["total_items"] == 1


def test_order_rules(mc, store_id):
    _product(mc, store_id)
    with pytest.raises(MailChimpError) as excinfo:
        _order(mc, store_id, customer={"id": "c1", "email_address": "o@shop.test", "opt_in_status": False},
               lines=[{"id": "l1", "product_id": "nope", "product_variant_id": "p1", "quantity": 1, "price": 1}])
    assert error_of(excinfo)["detail"] == "A product with the provided ID does not exist in the account for this list."
    with pytest.raises(MailChimpError):
        _order(mc, store_id, customer={"id": "c1", "email_address": "o@shop.test", "opt_in_status": False},
               lines=[{"id": "l1", "product_id": "p1", "product_variant_id": "nope", "quantity": 1, "price": 1}])
    assert mc.stores.customers.all(store_id)["total_items"] == 0  # nothing applied on failure
    with pytest.raises(MailChimpError) as excinfo:
        _order(mc, store_id, customer={"id": "new"})  # a new customer needs email + opt_in_status
    assert error_of(excinfo)["status"] == 400
    order = _order(mc, store_id, customer={"id": "c1", "email_address": "o@shop.test", "opt_in_status": False})
    assert order["customer"]["email_address"] == "o@shop.test" and order["lines"][0]["product_title"] == "Product p1"
    with pytest.raises(MailChimpError) as excinfo:
        _order(mc, store_id)
    assert "An order with the provided ID already exists" in error_of(excinfo)["detail"]
    put = requests.put(BASE + f"/3.0/ecommerce/stores/{store_id}/orders/o1", auth=("x", KEY), json={})
    assert put.status_code == 405
    long_customer = requests.post(BASE + f"/3.0/ecommerce/stores/{store_id}/orders", auth=("x", KEY), json={
        "id": "o2", "customer": {"id": "y" * 51, "email_address": "y@shop.test", "opt_in_status": False},
        "currency_code": "EUR", "order_total": 1, "lines": order["lines"]})
    assert long_customer.status_code == 404


def test_order_patch_keeps_unnamed_lines_and_lines_endpoints(mc, store_id):
    _product(mc, store_id, "p1", ("p1", "p1b"))
    _customer(mc, store_id)
    _order(mc, store_id)
    patched = mc.stores.orders.update(store_id, "o1", {"financial_status": "paid", "lines": [
        {"id": "l2", "product_id": "p1", "product_variant_id": "p1b", "quantity": 1, "price": 5}]})
    assert patched["financial_status"] == "paid" and [l["id"] for l in patched["lines"]] == ["l1", "l2"]
    mc.stores.orders.lines.delete(store_id, "o1", "l1")
    assert [l["id"] for l in mc.stores.orders.lines.all(store_id, "o1")["lines"]] == ["l2"]
    mc.stores.orders.lines.update(store_id, "o1", "l2", {"quantity": 3})
    assert mc.stores.orders.lines.get(store_id, "o1", "l2")["quantity"] == 3
    assert mc.stores.orders.all(store_id, customer_id="c1")["total_items"] == 1
    mc.stores.orders.delete(store_id, "o1")
    assert mc.stores.orders.all(store_id)["total_items"] == 0


def test_rollups_to_member_and_campaign(mc, emu, list_id, store_id):
    _product(mc, store_id)
    campaign = emu.seed_campaign(list_id, subject_line="Sale")
    _order(mc, store_id, "o1", customer={"id": "c1", "email_address": "roll@shop.test", "opt_in_status": True},
           order_total=100, shipping_total=10, tax_total=20, campaign_id=campaign["id"])
    _order(mc, store_id, "o2", order_total=50, outreach={"id": campaign["id"]})
    _order(mc, store_id, "o3", order_total=7)
    data = mc.lists.members.get(list_id, "roll@shop.test")["stats"]["ecommerce_data"]
    assert data == {"total_revenue": 157.0, "number_of_orders": 3, "currency_code": "EUR"}
    summary = mc.campaigns.get(campaign["id"])["report_summary"]["ecommerce"]
    assert summary == {"total_orders": 2, "total_spent": 150.0, "total_revenue": 120.0}
    report = mc.reports.get(campaign["id"])["ecommerce"]
    assert report["total_revenue"] == 120.0 and report["currency_code"] == "EUR"
    assert mc.stores.customers.get(store_id, "c1")["orders_count"] == 3


def test_carts(mc, store_id):
    _product(mc, store_id)
    cart = mc.stores.carts.create(store_id, {
        "id": "cart1", "customer": {"id": "c1", "email_address": "cart@shop.test", "opt_in_status": False},
        "currency_code": "EUR", "order_total": 10, "checkout_url": "https://shop.test/checkout",
        "lines": [{"id": "l1", "product_id": "p1", "product_variant_id": "p1", "quantity": 1, "price": 10}]})
    assert cart["checkout_url"] == "https://shop.test/checkout"
    with pytest.raises(MailChimpError) as excinfo:
        mc.stores.carts.create(store_id, {
            "id": "cart2", "customer": {"id": "c1"}, "currency_code": "EUR", "order_total": 1,
            "lines": [{"id": "l1", "product_id": "ghost", "product_variant_id": "ghost", "quantity": 1, "price": 1}]})
    assert "does not exist in the account for this list" in error_of(excinfo)["detail"]
    mc.stores.carts.update(store_id, "cart1", {"order_total": 20})
    assert mc.stores.carts.get(store_id, "cart1")["order_total"] == 20
    assert requests.put(BASE + f"/3.0/ecommerce/stores/{store_id}/carts/cart1", auth=("x", KEY),
                        json={}).status_code == 405
    mc.stores.carts.delete(store_id, "cart1")
    assert mc.stores.carts.all(store_id)["total_items"] == 0


def test_promo_rules_and_codes(mc, store_id):
    rule = mc.stores.promo_rules.create(store_id, {"id": "r1", "description": "10% off", "amount": 0.1,
                                                   "type": "percentage", "target": "total"})
    assert rule["enabled"] is True
    with pytest.raises(MailChimpError):
        mc.stores.promo_rules.create(store_id, {"id": "r2", "description": "bad", "amount": 10,
                                                "type": "percentage", "target": "total"})
    code = mc.stores.promo_codes.create(store_id, "r1", {"id": "k1", "code": "SAVE10",
                                                         "redemption_url": "https://shop.test"})
    assert code["usage_count"] == 0
    mc.stores.promo_codes.update(store_id, "r1", "k1", {"usage_count": 3})
    assert mc.stores.promo_codes.get(store_id, "r1", "k1")["usage_count"] == 3
    assert mc.stores.promo_codes.all(store_id, "r1", get_all=True)["promo_codes"][0]["code"] == "SAVE10"
    mc.stores.promo_rules.update(store_id, "r1", {"description": "Ten", "amount": 0.1, "type": "percentage",
                                                  "target": "total"})
    assert mc.stores.promo_rules.get(store_id, "r1")["description"] == "Ten"
    mc.stores.promo_codes.delete(store_id, "r1", "k1")
    mc.stores.promo_rules.delete(store_id, "r1")
    assert mc.stores.promo_rules.all(store_id)["total_items"] == 0
