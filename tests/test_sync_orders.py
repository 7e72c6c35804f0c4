"""Orders -> interests refreshed, products ensured, eCommerce orders; status changes update them."""
import pytest
from shuup.core.models import OrderLineType, PersonContact
from shuup.testing import factories

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem

from .conftest import member_of


@pytest.fixture
def catalog(initialized):
    shop = initialized.shop
    supplier = factories.get_default_supplier()
    products = [factories.create_product("sku-%d" % n, shop=shop, supplier=supplier, default_price=10 + n)
                for n in range(3)]
    return products


def customer(shop, email="buyer@mailbox.org", permission=True):
    contact = PersonContact.objects.create(first_name="Bo", last_name="Buyer", email=email,
                                           marketing_permission=permission)
    contact.add_to_shop(shop)
    return contact


def place_order(shop, contact, products, **kw):
    return factories.create_random_order(customer=contact, products=products, shop=shop, random_products=False, **kw)


def remote_order(emulator, settings, order):
    return emulator.snapshot()["stores"][settings.store_id]["orders"].get(str(order.pk))


@pytest.mark.django_db
def test_order_is_sent_with_products_and_customer(initialized, emulator, catalog):
    contact = customer(initialized.shop)
    order = place_order(initialized.shop, contact, catalog[:2])
    store = emulator.snapshot()["stores"][initialized.store_id]
    remote = store["orders"][str(order.pk)]
    assert remote["customer"]["id"] == str(contact.pk)
    assert remote["currency_code"] == order.currency
    assert remote["order_total"] == pytest.approx(float(order.taxful_total_price.value))
    product_lines = order.lines.filter(type=OrderLineType.PRODUCT)
    assert sorted(line["product_id"] for line in remote["lines"]) == sorted(
        str(line.product_id) for line in product_lines)
    assert {str(p.pk) for p in catalog[:2]} <= set(store["products"])
    assert store["products"][str(catalog[0].pk)]["variants"]
    assert MailchimpSyncItem.objects.get(kind=SyncKind.ORDER, object_id=order.pk).status == SyncStatus.SYNCED
    # the member's e-commerce rollup saw the order
    member = member_of(emulator, initialized.audience_id, contact.email)
    assert member["stats"]["ecommerce_data"]["number_of_orders"] == 1


@pytest.mark.django_db
def test_order_refreshes_the_customers_interests(initialized, emulator, catalog):
    group = factories.create_random_contact_group(shop=initialized.shop)
    contact = customer(initialized.shop)
    # A group change made behind the receivers' back (e.g. a raw SQL import) is repaired by the next order.
    group.members.through.objects.create(contactgroup=group, contact=contact)
    place_order(initialized.shop, contact, catalog[:1])
    member = member_of(emulator, initialized.audience_id, contact.email)
    assert True in member["interests"].values()


@pytest.mark.django_db
def test_guest_order_with_email(initialized, emulator, catalog):
    from shuup_mailchimp.sync.outbox import record
    from shuup_mailchimp.sync.processing import process_items

    initialized.enabled = False  # placed while the integration was off, then turned into a guest order
    initialized.save()
    order = place_order(initialized.shop, customer(initialized.shop, email="tmp@mailbox.org"), catalog[:1])
    order.customer = order.orderer = None
    order.email = "guest.person@mailbox.org"
    order.marketing_permission = False
    order.save()
    initialized.enabled = True
    initialized.save()
    process_items(record([initialized.shop_id], SyncKind.ORDER, order.pk))
    remote = remote_order(emulator, initialized, order)
    assert remote is not None and remote["customer"]["id"].startswith("guest-")
    assert member_of(emulator, initialized.audience_id, "guest.person@mailbox.org")["status"] == "transactional"
    assert member_of(emulator, initialized.audience_id, "tmp@mailbox.org") is None


@pytest.mark.django_db
def test_payment_and_cancel_update_the_order(initialized, emulator, catalog):
    contact = customer(initialized.shop)
    order = place_order(initialized.shop, contact, catalog[:1])
    assert remote_order(emulator, initialized, order)["financial_status"] == "pending"
    order.create_payment(order.taxful_total_price)
    assert remote_order(emulator, initialized, order)["financial_status"] == "paid"
    order2 = place_order(initialized.shop, contact, catalog[1:2])
    order2.set_canceled()
    remote = remote_order(emulator, initialized, order2)
    assert remote["financial_status"] == "cancelled" and remote.get("cancelled_at_foreign")


@pytest.mark.django_db(transaction=True)  # real after-commit runs, as in a checkout
def test_products_are_not_upserted_again_when_unchanged(initialized, emulator, catalog):
    # Shuup's order creator copies the order's marketing permission (False here) onto the customer,
    # so start from False: the customer is then truly unchanged by the second order.
    contact = customer(initialized.shop, permission=False)
    place_order(initialized.shop, contact, catalog[:1])
    puts = emulator.stats["writes"]
    place_order(initialized.shop, contact, catalog[:1])
    # second order: one order POST; customer and product unchanged are not re-sent
    assert emulator.stats["writes"] - puts == 1


@pytest.mark.django_db
def test_order_of_a_contact_without_permission_when_transactional_is_off(initialized, emulator, catalog):
    initialized.send_transactional = False
    initialized.save()
    contact = customer(initialized.shop, permission=False)
    order = place_order(initialized.shop, contact, catalog[:1])
    assert remote_order(emulator, initialized, order) is None
    item = MailchimpSyncItem.objects.get(kind=SyncKind.ORDER, object_id=order.pk)
    assert item.status == SyncStatus.SYNCED and "no marketing permission" in item.note


@pytest.mark.django_db
def test_refund_updates_the_order(initialized, emulator, catalog):
    contact = customer(initialized.shop)
    order = place_order(initialized.shop, contact, catalog[:1])
    order.create_payment(order.taxful_total_price)
    order.create_full_refund()
    assert remote_order(emulator, initialized, order)["financial_status"] == "refunded"


@pytest.mark.django_db
def test_shipped_order_is_fulfilled(initialized, emulator, catalog):
    contact = customer(initialized.shop)
    order = place_order(initialized.shop, contact, catalog[:1])
    supplier = order.lines.filter(supplier__isnull=False).first().supplier
    shipment = order.create_shipment_of_all_products(supplier=supplier)
    assert not remote_order(emulator, initialized, order).get("fulfillment_status")  # created, not sent yet
    shipment.set_sent()
    assert remote_order(emulator, initialized, order).get("fulfillment_status") == "shipped"
