"""Products, and orders: customer brought up to date, products ensured, order created or updated.

An order's customer (a contact's member with its interests, and its eCommerce customer) and
its products are related items: each is synced on its own row first (``sync.related``), so an
order never names a customer or a product Mailchimp does not have.
"""
from shuup.core.models import Order, Product

from shuup_mailchimp.client import ecommerce
from shuup_mailchimp.client.errors import is_already_exists
from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.exceptions import MailchimpError, MailchimpNotFoundError
from shuup_mailchimp.sync.campaigns import send_order, without_refused_campaign
from shuup_mailchimp.sync.carts import after_order
from shuup_mailchimp.sync.contacts import customer_id_for, erasure_requested, sync_contact
from shuup_mailchimp.sync.outbox import Outcome
from shuup_mailchimp.sync.payloads import (
    customer_payload,
    fingerprint,
    guest_customer_payload,
    order_payload,
    product_payload,
)
from shuup_mailchimp.sync.related import bring_up_to_date


def sync_product(client, shop_settings, item) -> Outcome:
    """A product (the item's object is the variation parent) with all its variants."""
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


def order_lines(order) -> list:
    """The order's lines with their products and taxes, in two queries (not two per line)."""
    return list(order.lines.select_related("product").prefetch_related("taxes"))


def sync_order(client, shop_settings, item) -> Outcome:
    order = Order.objects.filter(pk=item.object_id, shop_id=shop_settings.shop_id).first()
    if order is None:
        return Outcome(skipped=True, note="order deleted in Shuup")
    customer, why_not = _order_customer(client, shop_settings, order)
    if customer is None:
        return Outcome(skipped=True, note=why_not)
    lines = order_lines(order)
    parents = {line.product.variation_parent_id or line.product_id for line in lines if line.product_id}
    for parent_id in sorted(parents):
        bring_up_to_date(client, shop_settings, SyncKind.PRODUCT, parent_id, sync_product)
    body = without_refused_campaign(order_payload(order, customer, lines=lines), item.state)
    # A save that changes nothing Mailchimp shows only moves updated_at_foreign: not worth a PATCH.
    digest = fingerprint({k: v for k, v in body.items() if k != "updated_at_foreign"})
    if digest == item.fingerprint and item.synced_on:
        return Outcome(skipped=True, note="unchanged", fingerprint=digest)

    def send(body):
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

    with client.about(object_kind="order", object_id=order.pk):
        # An unknown campaign_id must not cost the order: sent again without it (sync/campaigns.py).
        refused = send_order(send, body, shop_settings.shop_id, order.pk)
    if not item.remote_id:  # a new order: the customer's other carts stop being abandoned (sync/carts.py)
        after_order(shop_settings.shop_id, order)
    state = dict(item.state or {}, line_ids=[line["id"] for line in body["lines"]])
    if refused:
        state["campaign_refused"] = refused
        digest = order_fingerprint(without_refused_campaign(body, state))
    return Outcome(fingerprint=digest, remote_id=body["id"], note=body["financial_status"], state=state)


def _update(client, shop_settings, item, body):
    """PATCH the order, then delete the lines it no longer has. Raises ``MailchimpNotFoundError``
    only when the *order* is absent: a line already deleted (a retry after a lost answer) is fine."""
    update = {k: v for k, v in body.items() if k not in ("id", "customer")}
    ecommerce.update_order(client, shop_settings.store_id, body["id"], update)
    old_lines = set((item.state or {}).get("line_ids", []))
    for line_id in sorted(old_lines - {line["id"] for line in body["lines"]}):
        try:
            ecommerce.delete_order_line(client, shop_settings.store_id, body["id"], line_id)
        except MailchimpNotFoundError:
            pass  # deleted by an earlier attempt whose answer was lost


def _order_customer(client, shop_settings, order):
    """(customer body, None), after bringing the contact's member (interests included) up to date
    first, as the seed integration did; or (None, why) when the order must not be sent."""
    contact = order.customer
    email = ((contact.email if contact else "") or order.email or "").strip()
    if not email:
        return None, "order has neither a customer nor an email address"
    permission = bool(contact.marketing_permission if contact else order.marketing_permission)
    if not permission and not shop_settings.send_transactional:
        return None, "customer has no marketing permission; transactional customers are not sent"
    if contact is None:
        return guest_customer_payload(order), None
    state = bring_up_to_date(client, shop_settings, SyncKind.CONTACT, contact.pk, sync_contact).state or {}
    if state.get("forgotten"):
        return None, "customer was permanently deleted in Mailchimp; their orders are not sent"
    if state.get("erased") or erasure_requested(shop_settings.shop_id, contact.pk):
        return None, "customer anonymized in Shuup (GDPR); their orders are not sent"
    body = customer_payload(contact, email=email)
    body["id"] = customer_id_for(contact.pk, state)
    return body, None


# What would be sent, decided without Mailchimp (the full sync's batches) --------------------------
# These mirror sync_order's rules, so a full sync and the incremental sync agree on an order's
# body and fingerprint.

def plan_order_customer(order, contact, state: dict, send_transactional: bool, erased: bool = False):
    """(customer body, None), or (None, why) when the order must not be sent, as
    :func:`_order_customer` decides once the contact is up to date (``state``: its item's state;
    ``contact``: the order's customer, a Contact or an object with its attributes, or None)."""
    email = ((contact.email if contact else "") or order.email or "").strip()
    if not email:
        return None, "order has neither a customer nor an email address"
    permission = bool(contact.marketing_permission if contact else order.marketing_permission)
    if not permission and not send_transactional:
        return None, "customer has no marketing permission; transactional customers are not sent"
    if contact is None:
        return guest_customer_payload(order), None
    if state.get("forgotten"):
        return None, "customer was permanently deleted in Mailchimp; their orders are not sent"
    if state.get("erased") or erased:
        return None, "customer anonymized in Shuup (GDPR); their orders are not sent"
    body = customer_payload(contact, email=email)
    body["id"] = customer_id_for(contact.pk, state)
    return body, None


def order_fingerprint(body: dict) -> str:
    """A save that changes nothing Mailchimp shows only moves updated_at_foreign: not worth a PATCH."""
    return fingerprint({k: v for k, v in body.items() if k != "updated_at_foreign"})


def order_update_body(body: dict) -> dict:
    """The PATCH of an existing order: everything but its id and customer."""
    return {k: v for k, v in body.items() if k not in ("id", "customer")}


def stale_line_ids(state: dict, body: dict) -> list:
    """Lines Mailchimp still has (sent before) that the order no longer has: PATCH keeps them."""
    return sorted(set((state or {}).get("line_ids", [])) - {line["id"] for line in body["lines"]})
