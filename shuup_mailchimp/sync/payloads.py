"""Shuup objects -> Mailchimp request bodies. Pure functions: no database writes, no HTTP.

Ids sent to Mailchimp: a contact's customer id is ``str(contact.pk)``; a guest (an order with
an email but no contact) is ``guest-<md5 of the email>`` (Mailchimp caps ids at 50 chars);
an order is ``str(order.pk)``; a product is its variation parent (or itself) and every
variation child is one of its variants.
"""
import hashlib
import json
from decimal import Decimal

from shuup.core.models import CompanyContact, OrderLineType, PaymentStatus, ShippingStatus

from shuup_mailchimp.attribution import order_campaign_fields

MEMBER_SUBSCRIBED = "subscribed"
MEMBER_TRANSACTIONAL = "transactional"
MEMBER_UNSUBSCRIBED = "unsubscribed"
MEMBER_PENDING = "pending"
#: Statuses from which only the person can bring themselves back.
OPTED_OUT_STATUSES = {"unsubscribed", "cleaned"}


def fingerprint(*payloads) -> str:
    """A stable digest of what would be sent; identical payloads are not sent twice."""
    text = json.dumps(payloads, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def money(value) -> float:
    return float(Decimal(value).quantize(Decimal("0.01")))


def contact_names(contact):
    """(first name, last name, company) for the merge fields and the customer.

    ``contact`` is a Contact, or a plain object with the same attributes and ``is_company``
    (the full sync reads rows with ``values()``, not model instances).
    """
    if isinstance(contact, CompanyContact) or getattr(contact, "is_company", False) is True:
        return (contact.name or "", "", contact.name or "")
    first = getattr(contact, "first_name", "") or ""
    last = getattr(contact, "last_name", "") or ""
    if not (first or last) and contact.name:
        first, _, last = contact.name.partition(" ")
    return (first, last, "")


def guest_customer_id(email: str) -> str:
    return "guest-" + hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


def customer_payload(contact, email=None) -> dict:
    first, last, company = contact_names(contact)
    body = {
        "id": str(contact.pk),
        "email_address": (email or contact.email).strip(),
        "opt_in_status": bool(contact.marketing_permission),
        "first_name": first,
        "last_name": last,
    }
    if company:
        body["company"] = company
    address = _address(contact.default_billing_address)
    if address:
        body["address"] = address
    return body


def guest_customer_payload(order) -> dict:
    body = {
        "id": guest_customer_id(order.email),
        "email_address": order.email.strip(),
        "opt_in_status": bool(order.marketing_permission),
    }
    address = order.billing_address
    if address is not None:
        body["first_name"], _, body["last_name"] = (address.name or "").partition(" ")
    return body


def member_payload(contact, interests: dict, status=None, status_if_new=None, email=None) -> dict:
    """PUT body for the audience member: merge fields and the *full* interest map."""
    first, last, _company = contact_names(contact)
    body = {
        "email_address": (email or contact.email).strip(),
        "merge_fields": {"FNAME": first, "LNAME": last},
        "interests": interests,
    }
    language = getattr(contact, "language", "") or ""
    if language:
        body["language"] = language[:2]
    if status_if_new:
        body["status_if_new"] = status_if_new
    if status:
        body["status"] = status
    return body


def product_payload(product, shop) -> dict:
    """The parent product with one variant per variation child (or itself when it has none)."""
    from shuup.core.models import ShopProduct

    parent = product.variation_parent or product
    children = list(parent.variation_children.all()) if parent.variation_children.exists() else []
    family = [parent] + children
    shop_products = {sp.product_id: sp for sp in ShopProduct.objects.filter(shop=shop, product__in=family)}
    return product_body(parent, children, shop, shop_products, {p.pk: image_url(p, shop) for p in family})


def product_body(parent, children, shop, shop_products: dict, image_urls: dict) -> dict:
    """The product body from its loaded parts, without a query: ``children`` in Shuup's order
    (newest first), ``shop_products`` {product id: object with ``visibility`` and
    ``default_price_value``} for this shop, ``image_urls`` {product id: absolute URL or ""}."""
    variants = [_variant(p, shop_products.get(p.pk), image_urls.get(p.pk, "")) for p in ([parent] + children)]
    body = {
        "id": str(parent.pk),
        "title": _text(parent.name) or parent.sku or str(parent.pk),
        "handle": parent.slug or "",
        "description": _text(parent.short_description or ""),
        "vendor": "",
        "variants": variants,
    }
    image = image_urls.get(parent.pk, "")
    if image:
        body["image_url"] = image
    return body


def image_url(product, shop) -> str:
    """The primary image as an absolute URL on the shop's domain ("" without a domain or image)."""
    media = product.primary_image
    file = getattr(media, "file", None) if media is not None else None
    if file is None or not shop.domain:
        return ""
    url = file.url
    if url.startswith("http://") or url.startswith("https://"):
        return url
    return "https://%s%s" % (shop.domain, url if url.startswith("/") else "/" + url)


def _variant(product, shop_product, image) -> dict:
    from shuup.core.models import ShopProductVisibility

    body = {"id": str(product.pk), "title": _text(product.name) or product.sku or str(product.pk), "sku": product.sku}
    visible = shop_product is not None and shop_product.visibility != ShopProductVisibility.NOT_VISIBLE
    body["visibility"] = "visible" if visible else "hidden"
    if shop_product is not None and shop_product.default_price_value is not None:
        body["price"] = money(shop_product.default_price_value)
    if image:
        body["image_url"] = image
    return body


def order_financial_status(order, lines=None) -> str:
    """``lines``: all the order's lines, loaded (the refunds are read from them instead of a query)."""
    if order.is_canceled():
        return "cancelled"
    if lines is None:
        refunded = order.get_total_refunded_amount().value
    else:  # as Order.get_total_refunded_amount(): minus the refund lines' taxful prices
        refunded = -sum((line.taxful_price.amount.value for line in lines if line.type == OrderLineType.REFUND),
                        Decimal(0))
    if refunded > 0:
        return "refunded"
    if order.payment_status == PaymentStatus.FULLY_PAID:
        return "paid"
    return "pending"


def order_payload(order, customer: dict, lines=None) -> dict:
    """POST/PATCH body of an eCommerce order. ``customer`` is the customer body (its id at least);
    ``lines``: the order's lines with their products loaded (one query instead of one per line)."""
    if lines is None:
        lines = list(order.lines.select_related("product").prefetch_related("taxes"))
    order_lines = lines
    lines = []
    shipping = Decimal(0)
    discount = Decimal(0)
    for line in order_lines:
        if line.type == OrderLineType.PRODUCT and line.product_id:
            product = line.product
            lines.append(
                {
                    "id": str(line.pk),
                    "product_id": str(product.variation_parent_id or product.pk),
                    "product_variant_id": str(product.pk),
                    "quantity": int(line.quantity),
                    "price": money(line.taxful_price.value),
                    "discount": money(line.taxful_discount_amount.value),
                }
            )
        elif line.type == OrderLineType.SHIPPING:
            shipping += line.taxful_price.value
        elif line.type == OrderLineType.DISCOUNT:
            discount += -line.taxful_price.value
    body = {
        "id": str(order.pk),
        "customer": customer,
        "currency_code": order.currency,
        "order_total": money(order.taxful_total_price.value),
        # Order.get_total_tax_amount() reloads the lines and their taxes one query per line.
        "tax_total": money(sum((line.tax_amount.value for line in order_lines), Decimal(0))),
        "shipping_total": money(shipping),
        "discount_total": money(discount),
        "financial_status": order_financial_status(order, order_lines),
        "processed_at_foreign": order.order_date.isoformat(),
        "updated_at_foreign": order.modified_on.isoformat() if order.modified_on else order.order_date.isoformat(),
        "lines": lines,
    }
    promos = order_promos(order, order_lines)
    if promos:
        body["promos"] = promos
    if order.shipping_status == ShippingStatus.FULLY_SHIPPED:
        body["fulfillment_status"] = "shipped"
    body.update(order_campaign_fields(order))  # campaign_id, landing_site: the Mailchimp email it came from
    if body["financial_status"] == "cancelled":
        body["cancelled_at_foreign"] = body["updated_at_foreign"]
    return body


def order_promos(order, lines) -> list:
    """The promo codes the order used (``order.codes``: Shuup's coupons, see sync/promos.py), each
    with the money it took off: the discount lines naming the code (Shuup's campaign line reads
    "... (Coupon Code: CODE)"), or for a single code the order's whole discount. ``type`` is
    ``fixed``: ``amount_discounted`` is that money, whatever kind of rule gave it."""
    codes = [str(code) for code in (order.codes or []) if code]
    if not codes:
        return []
    discounts = [line for line in lines if line.type == OrderLineType.DISCOUNT]
    promos = []
    for code in codes:
        amount = sum((-line.taxful_price.value for line in discounts if code.upper() in (line.text or "").upper()),
                     Decimal(0))
        promos.append({"code": code, "amount_discounted": money(amount), "type": "fixed"})
    if len(promos) == 1 and not promos[0]["amount_discounted"]:
        whole = sum((-line.taxful_price.value for line in discounts), Decimal(0)) + sum(
            (line.taxful_discount_amount.value for line in lines if line.type == OrderLineType.PRODUCT), Decimal(0))
        promos[0]["amount_discounted"] = money(max(whole, Decimal(0)))
    return promos


def store_payload(shop, audience_id: str, store_id: str, locale: str, timezone: str) -> dict:
    body = {
        "id": store_id,
        "list_id": audience_id,
        "name": _text(shop.public_name or shop.name) or "Shuup shop",
        "platform": "Shuup",
        "currency_code": shop.currency,
        "primary_locale": (locale or "en")[:2],
        "timezone": timezone or "UTC",
    }
    if shop.domain:
        body["domain"] = shop.domain
    address = shop.contact_address
    if address is not None and address.email:
        body["email_address"] = address.email
    if address is not None and address.phone:
        body["phone"] = address.phone
    return body


def _address(address):
    if address is None or not address.street:
        return None
    return {
        "address1": address.street,
        "address2": address.street2 or "",
        "city": address.city or "",
        "province": address.region or "",
        "postal_code": address.postal_code or "",
        "country_code": str(address.country or ""),
    }


def _text(value) -> str:
    return str(value or "").strip()
