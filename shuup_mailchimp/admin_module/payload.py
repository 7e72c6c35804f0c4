"""What a sync item would send now, built from Shuup's current data without calling Mailchimp.

The outbox does not store the bodies it sent (only their fingerprint), so the item page shows
this preview and says so. It uses the same payload builders as the sync (``sync.payloads``);
interest ids come from the ids already known (``known_interest_ids``): groups Mailchimp does not
have yet are left out here, where the sync would create them first. The member's ``status`` is
decided at send time by the consent table and is not part of the preview.
"""
import json

from shuup.core.models import Contact, ContactGroup, Order, Product

from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.sync import payloads
from shuup_mailchimp.sync.interests import group_name, known_interest_ids


def preview(item, shop_settings):
    """[(title, body dict)] for this item, or [] when there is nothing to show (object deleted)."""
    builder = _BUILDERS.get(item.kind)
    if builder is None:
        return []
    try:
        return builder(item, shop_settings)
    except Exception as exc:  # a preview must never break the page
        return [("error", {"error": "%s: %s" % (type(exc).__name__, exc)})]


def _contact(item, shop_settings):
    contact = Contact.objects.filter(pk=item.object_id).first()
    if contact is None or not contact.email:
        return []
    state = item.state or {}
    ids = known_interest_ids(item.shop_id)
    member_of = set(contact.groups.filter(pk__in=list(ids)).values_list("pk", flat=True))
    interests = {interest_id: group_id in member_of for group_id, interest_id in ids.items()}
    member = payloads.member_payload(contact, interests, email=contact.email.strip())
    customer = payloads.customer_payload(contact, email=contact.email.strip())
    customer["id"] = state.get("customer_id") or str(contact.pk)
    return [("audience member (PUT lists/%s/members/…)" % (shop_settings.audience_id or "?"), member),
            ("eCommerce customer (PUT ecommerce/stores/%s/customers/%s)" % (shop_settings.store_id or "?",
                                                                           customer["id"]), customer)]


def _interest(item, shop_settings):
    group = ContactGroup.objects.filter(pk=item.object_id).first()
    if group is None:
        return []
    return [("interest (category %s)" % (shop_settings.interest_category_id or "?"), {"name": group_name(group)})]


def _product(item, shop_settings):
    product = Product.objects.filter(pk=item.object_id).first()
    if product is None:
        return []
    return [("eCommerce product (ecommerce/stores/%s/products)" % (shop_settings.store_id or "?"),
             payloads.product_payload(product, shop_settings.shop))]


def _order(item, shop_settings):
    order = Order.objects.filter(pk=item.object_id).first()
    if order is None:
        return []
    contact = order.customer
    if contact is not None and contact.email:
        customer = {"id": str(contact.pk), "email_address": contact.email.strip()}
    elif order.email:
        customer = payloads.guest_customer_payload(order)
    else:
        return []
    return [("eCommerce order (ecommerce/stores/%s/orders)" % (shop_settings.store_id or "?"),
             payloads.order_payload(order, customer))]


_BUILDERS = {
    SyncKind.CONTACT: _contact,
    SyncKind.INTEREST: _interest,
    SyncKind.PRODUCT: _product,
    SyncKind.ORDER: _order,
}


def as_json(body) -> str:
    return json.dumps(body, indent=2, sort_keys=True, default=str, ensure_ascii=False)
