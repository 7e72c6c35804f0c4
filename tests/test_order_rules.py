"""Order rules from the dangerous side: what reaches the eCommerce order, and when nothing must."""
import pytest
from shuup.core.models import OrderLineType, PersonContact, ShipmentStatus, ShippingStatus
from shuup.core.signals import shipment_sent
from shuup.testing import factories
from shuup.utils.money import Money

from shuup_mailchimp.client import client_for, ecommerce
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem


@pytest.fixture
def catalog(initialized):
    supplier = factories.get_default_supplier()
    return [factories.create_product("rule-sku-%d" % n, shop=initialized.shop, supplier=supplier, default_price=10 + n)
            for n in range(3)]


def customer(shop, email="orders.rules@mailbox.org", permission=True):
    contact = PersonContact.objects.create(first_name="Ola", last_name="Order", email=email,
                                           marketing_permission=permission)
    contact.add_to_shop(shop)
    return contact


def place_order(shop, contact, products):
    return factories.create_random_order(customer=contact, products=products, shop=shop, random_products=False)


def remote_order(emulator, shop_settings, order):
    return emulator.snapshot()["stores"][shop_settings.store_id]["orders"].get(str(order.pk))


def order_item(order):
    return MailchimpSyncItem.objects.get(kind=SyncKind.ORDER, object_id=order.pk)


@pytest.mark.django_db
def test_shipment_sent_alone_updates_the_order(initialized, emulator, catalog):
    order = place_order(initialized.shop, customer(initialized.shop), catalog[:1])
    supplier = order.lines.filter(supplier__isnull=False).first().supplier
    shipment = order.create_shipment_of_all_products(supplier=supplier)
    assert not remote_order(emulator, initialized, order).get("fulfillment_status")
    # The shipment is sent by some flow that saves nothing through the ORM's save(): the only
    # news Mailchimp can get is the shipment_sent signal itself.
    type(shipment).objects.filter(pk=shipment.pk).update(status=ShipmentStatus.SENT)
    type(order).objects.filter(pk=order.pk).update(shipping_status=ShippingStatus.FULLY_SHIPPED)
    shipment_sent.send(sender=type(shipment), order=order, shipment=shipment)
    assert remote_order(emulator, initialized, order).get("fulfillment_status") == "shipped"


@pytest.mark.django_db
def test_a_no_op_order_save_writes_nothing(initialized, emulator, catalog):
    order = place_order(initialized.shop, customer(initialized.shop), catalog[:2])
    assert order_item(order).status == SyncStatus.SYNCED
    writes = emulator.stats["writes"]
    order.save()  # only modified_on moves
    order.save()
    assert emulator.stats["writes"] == writes
    assert order_item(order).status == SyncStatus.SYNCED


@pytest.mark.django_db
def test_order_deleted_in_mailchimp_is_created_again_on_its_next_update(initialized, emulator, catalog):
    order = place_order(initialized.shop, customer(initialized.shop), catalog[:1])
    client_for(initialized).delete("orders.delete", ecommerce.store_path(initialized.store_id, "orders", str(order.pk)))
    assert remote_order(emulator, initialized, order) is None
    order.create_payment(order.taxful_total_price)
    remote = remote_order(emulator, initialized, order)
    assert remote is not None and remote["financial_status"] == "paid"
    assert order_item(order).status == SyncStatus.SYNCED


@pytest.mark.django_db
def test_partly_paid_order_is_not_paid(initialized, emulator, catalog):
    order = place_order(initialized.shop, customer(initialized.shop), catalog[:2])
    half = Money(order.taxful_total_price.value / 2, order.currency)
    order.create_payment(half)
    order.refresh_from_db()
    assert not order.is_paid()  # Shuup agrees: partly paid
    assert remote_order(emulator, initialized, order)["financial_status"] != "paid"
    order.create_payment(Money(order.taxful_total_price.value - half.value, order.currency))  # the rest: paid
    assert remote_order(emulator, initialized, order)["financial_status"] == "paid"


@pytest.mark.django_db
def test_deleted_order_line_leaves_the_mailchimp_order(initialized, emulator, catalog):
    order = place_order(initialized.shop, customer(initialized.shop), catalog[:2])
    lines = list(order.lines.filter(type=OrderLineType.PRODUCT).order_by("pk"))
    assert {line["id"] for line in remote_order(emulator, initialized, order)["lines"]} == {
        str(line.pk) for line in lines}
    gone, kept = lines
    gone.delete()
    order.save()  # the edit that triggers the update
    remote = remote_order(emulator, initialized, order)
    assert [line["id"] for line in remote["lines"]] == [str(kept.pk)]
    assert order_item(order).status == SyncStatus.SYNCED


@pytest.mark.django_db
def test_order_totals_and_lines_match_shuup(initialized, emulator, catalog):
    order = place_order(initialized.shop, customer(initialized.shop), catalog[:3])
    remote = remote_order(emulator, initialized, order)
    assert remote["order_total"] == pytest.approx(float(order.taxful_total_price.value))
    assert remote["tax_total"] == pytest.approx(float(order.get_total_tax_amount().value))
    by_id = {line["id"]: line for line in remote["lines"]}
    for line in order.lines.filter(type=OrderLineType.PRODUCT):
        sent = by_id[str(line.pk)]
        assert sent["quantity"] == int(line.quantity)
        assert sent["price"] == pytest.approx(float(line.taxful_price.value))
        assert sent["product_id"] == str(line.product_id)


def forget_in_mailchimp(shop_settings, email):
    from shuup_mailchimp.client import members

    client_for(shop_settings).post("members.delete_permanent", members.member_path(shop_settings.audience_id, email)
                                   + "/actions/delete-permanent")


@pytest.mark.django_db
def test_orders_of_a_permanently_deleted_customer_are_not_sent(initialized, emulator, catalog):
    contact = customer(initialized.shop, email="forgotten.buyer@mailbox.org")
    forget_in_mailchimp(initialized, contact.email)
    contact.first_name = "Forgotten"
    contact.save()  # the answer tells us the address was permanently deleted
    order = place_order(initialized.shop, contact, catalog[:1])
    assert remote_order(emulator, initialized, order) is None
    assert "permanently deleted" in order_item(order).note


@pytest.mark.django_db
def test_orders_of_a_customer_who_unsubscribed_are_still_sent(initialized, emulator, catalog):
    contact = customer(initialized.shop, email="unsubscribed.buyer@mailbox.org")
    emulator.fire_webhook(initialized.audience_id, "unsubscribe", contact.email, source="user")
    contact.first_name = "Unsubscribed"
    contact.save()  # the answer tells us the person opted out in Mailchimp
    order = place_order(initialized.shop, contact, catalog[:1])
    assert remote_order(emulator, initialized, order) is not None


@pytest.mark.django_db
def test_partly_shipped_order_is_not_fulfilled(initialized, emulator, catalog):
    order = place_order(initialized.shop, customer(initialized.shop), catalog[:2])
    line = order.lines.filter(type=OrderLineType.PRODUCT).order_by("pk").first()
    shipment = order.create_shipment({line.product: line.quantity}, supplier=line.supplier)
    shipment.set_sent()
    order.refresh_from_db()
    assert order.shipping_status == ShippingStatus.PARTIALLY_SHIPPED
    assert remote_order(emulator, initialized, order).get("fulfillment_status") != "shipped"


@pytest.mark.django_db
def test_line_quantities_and_prices_are_per_line(initialized, emulator, catalog):
    import random

    random.seed(20240611)  # the factory draws quantities 1-5: make sure some line has more than one
    order = place_order(initialized.shop, customer(initialized.shop), catalog[:3])
    product_lines = list(order.lines.filter(type=OrderLineType.PRODUCT))
    assert any(line.quantity > 1 for line in product_lines)
    by_id = {line["id"]: line for line in remote_order(emulator, initialized, order)["lines"]}
    for line in product_lines:
        assert by_id[str(line.pk)]["quantity"] == int(line.quantity)
        assert by_id[str(line.pk)]["price"] == pytest.approx(float(line.taxful_price.value))
