"""Order -> customer interests refreshed, products ensured, eCommerce order created or updated."""
from shuup.core.models import Order, Product

from shuup_mailchimp.client import ecommerce
from shuup_mailchimp.client.errors import is_already_exists
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.exceptions import MailchimpError, MailchimpNotFoundError
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync.contacts import customer_id_for
from shuup_mailchimp.sync.outbox import Outcome, record
from shuup_mailchimp.sync.payloads import (
    customer_payload,
    fingerprint,
    guest_customer_payload,
    order_payload,
    product_payload,
)


def ensure_product(client, shop_settings, product) -> None:
    """Upsert the product (its variation parent) unless the same payload was sent before."""
    body = product_payload(product, shop_settings.shop)
    digest = fingerprint(body)
    parent_id = int(body["id"])
    item = MailchimpSyncItem.objects.filter(shop_id=shop_settings.shop_id, kind=SyncKind.PRODUCT, object_id=parent_id)
    if item.filter(fingerprint=digest, status=SyncStatus.SYNCED).exists():
        return
    with client.about(object_kind="product", object_id=parent_id):
        ecommerce.upsert_product(client, shop_settings.store_id, body)
    record([shop_settings.shop_id], SyncKind.PRODUCT, parent_id)
    item.update(fingerprint=digest, remote_id=body["id"], status=SyncStatus.SYNCED, next_attempt_at=None)


def sync_product(client, shop_settings, item) -> Outcome:
    product = Product.objects.filter(pk=item.object_id).first()
    if product is None:
        return Outcome(skipped=True, note="product deleted in Shuup")
    body = product_payload(product, shop_settings.shop)
    digest = fingerprint(body)
    if digest == item.fingerprint and item.synced_on:
        return Outcome(skipped=True, note="unchanged", fingerprint=digest)
    with client.about(object_kind="product", object_id=product.pk):
        ecommerce.upsert_product(client, shop_settings.store_id, body)
    return Outcome(fingerprint=digest, remote_id=body["id"])


def sync_order(client, shop_settings, item) -> Outcome:
    order = Order.objects.filter(pk=item.object_id, shop_id=shop_settings.shop_id).first()
    if order is None:
        return Outcome(skipped=True, note="order deleted in Shuup")
    customer = _order_customer(client, shop_settings, order)
    if customer is None:
        return Outcome(skipped=True, note="order has neither a customer nor an email address")
    if customer is False:
        return Outcome(skipped=True, note="customer has no marketing permission; transactional customers are not sent")
    for line in order.lines.filter(product__isnull=False).select_related("product"):
        ensure_product(client, shop_settings, line.product)
    body = order_payload(order, customer)
    # A save that changes nothing Mailchimp shows only moves updated_at_foreign: not worth a PATCH.
    digest = fingerprint({k: v for k, v in body.items() if k != "updated_at_foreign"})
    if digest == item.fingerprint and item.synced_on:
        return Outcome(skipped=True, note="unchanged", fingerprint=digest)
    with client.about(object_kind="order", object_id=order.pk):
        if item.remote_id:
            try:
                _update(client, shop_settings, item, body)
            except MailchimpNotFoundError:  # absent (deleted in Mailchimp, or a new store): create it again
                ecommerce.create_order(client, shop_settings.store_id, body)
        else:
            try:
                ecommerce.create_order(client, shop_settings.store_id, body)
            except MailchimpError as exc:
                if not is_already_exists(exc):
                    raise
                _update(client, shop_settings, item, body)  # created by an earlier attempt whose answer was lost
    state = dict(item.state or {}, line_ids=[line["id"] for line in body["lines"]])
    MailchimpSyncItem.objects.filter(pk=item.pk).update(state=state)
    return Outcome(fingerprint=digest, remote_id=body["id"], note=body["financial_status"])


def _update(client, shop_settings, item, body):
    update = {k: v for k, v in body.items() if k not in ("id", "customer")}
    ecommerce.update_order(client, shop_settings.store_id, body["id"], update)
    old_lines = set((item.state or {}).get("line_ids", []))
    for line_id in old_lines - {line["id"] for line in body["lines"]}:
        ecommerce.delete_order_line(client, shop_settings.store_id, body["id"], line_id)


def _order_customer(client, shop_settings, order):
    """The order's customer body, after refreshing the contact's member (interests included)
    first, as the seed integration did. ``None`` when the order must not be sent."""
    contact = order.customer
    email = ((contact.email if contact else "") or order.email or "").strip()
    if not email:
        return None
    permission = bool(contact.marketing_permission if contact else order.marketing_permission)
    if not permission and not shop_settings.send_transactional:
        return False
    if contact is None:
        return guest_customer_payload(order)
    from shuup_mailchimp.sync.processing import sync_inline

    contact_item = sync_inline(client, shop_settings, SyncKind.CONTACT, contact.pk)
    body = customer_payload(contact, email=email)
    body["id"] = customer_id_for(contact.pk, contact_item.state or {})
    return body
