"""Abandoned carts: Shuup's stored baskets -> Mailchimp eCommerce carts, and back out when done.

A basket becomes a cart (``SyncKind.CART``, the item's object is the ``StoredBasket``) when

- it is open (not deleted, not finished) and holds products;
- its person is known: the logged-in customer, or a guest whose address (typed at checkout)
  belongs to a contact of the shop;
- that contact may receive marketing, by the core's consent rules: ``marketing_permission`` now,
  and not opted out, cleaned, forgotten or erased per the contact's own item state;
- the contact has not ordered since the basket last changed;
- and it has been left alone for ``SHUUP_MAILCHIMP_CART_IDLE_MINUTES``.

The receiver records the item due at *last change + idle time* (``outbox.record_due``), so the
normal due-items machinery (beat, the background runner, ``mailchimp_sync``) sends it when the
basket is idle; every change moves that time on. A run that takes it earlier (an operator's
flush) gives it back with ``outbox.defer``. The contact and the products are brought up to date
first (``sync.related``), as for orders.

Whenever a basket stops qualifying (order placed, emptied, deleted, consent withdrawn, ordered
since) a cart sent before is deleted, so the automation fires exactly for abandoned carts, and
the shop's abandoned-cart tag (if any) leaves the member. The cart's ``checkout_url`` is a signed,
expiring link (``front_views.CartRestoreView``) that puts that basket back in the person's session.
"""
from datetime import timedelta
from decimal import Decimal
from typing import Optional, Tuple

from django.core import signing
from django.db.models import Q
from django.utils import timezone
from shuup.core.models import Contact, Order, OrderLineType, Product

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.client import carts as api
from shuup_mailchimp.client.errors import is_already_exists
from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.exceptions import MailchimpError, MailchimpNotFoundError
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import consent, outbox
from shuup_mailchimp.sync.outbox import Outcome
from shuup_mailchimp.sync.payloads import fingerprint, money

RESTORE_SALT = "shuup_mailchimp.cart_restore"


def stored_basket_model():
    from shuup.front.models import StoredBasket

    return StoredBasket


# What the receiver may decide without a query ------------------------------------------------------

def guest_email(basket) -> str:
    """The address a guest typed at checkout (the billing address kept in the basket's data)."""
    data = basket.data if isinstance(basket.data, dict) else {}
    address = data.get("billing_address_data") or {}
    return str(address.get("email") or "").strip() if isinstance(address, dict) else ""


def is_open(basket) -> bool:
    return not (basket.deleted or basket.finished) and (basket.product_count or 0) > 0


def is_identifiable(basket) -> bool:
    """A logged-in customer's basket, or a guest's who entered an address at checkout."""
    return bool(basket.customer_id or guest_email(basket))


def idle_time() -> timedelta:
    return timedelta(minutes=float(app_settings.CART_IDLE_MINUTES))


def due_at(basket):
    """When the basket has been left alone long enough to count as abandoned."""
    return (basket.updated_on or timezone.now()) + idle_time()


# The restore link --------------------------------------------------------------------------------

def restore_token(basket_id: int, contact_id: int) -> str:
    return signing.dumps({"b": int(basket_id), "c": int(contact_id)}, salt=RESTORE_SALT, compress=True)


def read_restore_token(token: str) -> dict:
    """``{"b": basket id, "c": contact id}``; raises ``signing.SignatureExpired`` after
    ``SHUUP_MAILCHIMP_CART_LINK_MAX_AGE`` seconds and ``signing.BadSignature`` when altered."""
    return signing.loads(token, salt=RESTORE_SALT, max_age=app_settings.CART_LINK_MAX_AGE)


def restore_path(token: str) -> str:
    from django.urls import NoReverseMatch, reverse

    for name in ("shuup:mailchimp_cart_restore", "shuup_mailchimp:mailchimp_cart_restore"):
        try:
            return reverse(name, kwargs={"token": token})
        except NoReverseMatch:
            continue
    return "/mailchimp/cart/%s/" % token


def restore_url(shop_settings, basket_id: int, contact_id: int) -> str:
    """The cart's ``checkout_url``: restores this basket for this person. "" without a public address."""
    from shuup_mailchimp.sync.webhook_setup import public_base_url

    base = public_base_url(shop_settings)
    return base + restore_path(restore_token(basket_id, contact_id)) if base else ""


# Who the cart is for, and may they get it ------------------------------------------------------------

def shop_contacts(shop_id):
    return Contact.objects.filter(Q(shops=shop_id) | Q(registration_shop_id=shop_id)).distinct()


def cart_contact(basket) -> Tuple[Optional[Contact], str]:
    """(contact, "") or (None, why not): the customer, or the shop's contact with the guest's address."""
    if basket.customer_id:
        contact = Contact.objects.filter(pk=basket.customer_id).first()
        if contact is None or not (contact.email or "").strip():
            return None, "the customer has no email address"
        return contact, ""
    email = guest_email(basket)
    if not email:
        return None, "anonymous basket (no customer, no email address)"
    contact = shop_contacts(basket.shop_id).filter(email__iexact=email, is_active=True).order_by("pk").first()
    if contact is None:
        return None, "guest whose address has no marketing permission in this shop"
    return contact, ""


def contact_state(shop_id, contact_id) -> dict:
    row = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=SyncKind.CONTACT, object_id=contact_id).values_list(
        "state", flat=True).first()
    if isinstance(row, str):
        import json

        row = json.loads(row or "{}")
    return dict(row or {})


def marketing_refused(shop_id, contact, state: dict) -> str:
    """"" when the contact may receive marketing (the core's consent rules), else why not."""
    from shuup_mailchimp.sync.contacts import erasure_requested

    if not contact.marketing_permission:
        return "the customer has no marketing permission"
    if state.get("erased") or erasure_requested(shop_id, contact.pk):
        return "the customer was anonymized (GDPR)"
    if state.get("forgotten") or state.get("undeliverable"):
        return "the customer's address is deleted or cleaned in Mailchimp"
    if state.get("opted_out") or state.get("member_status") in consent.OPTED_OUT:
        return "the customer opted out in Mailchimp"
    return ""


def ordered_since(basket, contact) -> bool:
    """The contact (or the guest's address) ordered in this shop after the basket's last change."""
    orders = Order.objects.filter(shop_id=basket.shop_id, order_date__gte=basket.updated_on)
    match = Q(customer_id=contact.pk)
    email = guest_email(basket)
    if email and not basket.customer_id:
        match |= Q(email__iexact=email)
    return orders.filter(match).exists()


def closed_reason(basket, shop_settings) -> str:
    if basket is None:
        return "basket deleted in Shuup"
    if basket.finished:
        return "order placed"
    if basket.deleted:
        return "basket deleted in Shuup"
    if not is_open(basket):
        return "basket emptied"
    if not shop_settings.send_carts:
        return "abandoned carts are off for this shop"
    return ""


# The payload ----------------------------------------------------------------------------------------

def cart_lines(basket) -> list:
    """Product lines of the stored basket: ``[{id, product_id (parent), product_variant_id, quantity, price}]``."""
    raw = [line for line in (basket.data or {}).get("lines", []) if isinstance(line, dict)]
    raw = [line for line in raw if line.get("product_id") and _is_product(line.get("type"))]
    parents = dict(Product.objects.filter(pk__in={line["product_id"] for line in raw}).values_list(
        "pk", "variation_parent_id"))
    lines = []
    for line in raw:
        product_id = int(line["product_id"])
        if product_id not in parents:  # deleted since
            continue
        quantity = Decimal(str(line.get("quantity") or 0))
        if quantity <= 0:
            continue
        unit = Decimal(str(line.get("base_unit_price") or 0))
        discount = Decimal(str(line.get("discount_amount") or 0))
        lines.append({
            "id": str(line.get("line_id") or product_id)[:50],
            "product_id": str(parents[product_id] or product_id),
            "product_variant_id": str(product_id),
            "quantity": int(quantity),
            "price": money(unit * quantity - discount),
        })
    return lines


def _is_product(line_type) -> bool:
    value = getattr(line_type, "value", line_type)
    return value in (None, OrderLineType.PRODUCT.value)


def cart_payload(basket, customer_id: str, lines: list, checkout_url: str) -> dict:
    taxful = basket.taxful_total_price_value
    taxless = basket.taxless_total_price_value
    total = taxful if taxful is not None else sum((Decimal(str(line["price"])) for line in lines), Decimal(0))
    body = {
        "id": str(basket.pk),
        "customer": {"id": customer_id},
        "currency_code": basket.currency,
        "order_total": money(total),
        "tax_total": money(taxful - taxless) if taxful is not None and taxless is not None else 0.0,
        "lines": lines,
    }
    if checkout_url:
        body["checkout_url"] = checkout_url
    return body


def cart_fingerprint(body: dict) -> str:
    """The signed link changes at every build: what the cart holds decides whether to send it again."""
    return fingerprint({k: v for k, v in body.items() if k != "checkout_url"})


# The handler -------------------------------------------------------------------------------------------

def sync_cart(client, shop_settings, item) -> Outcome:
    from shuup_mailchimp.sync.contacts import customer_id_for, sync_contact
    from shuup_mailchimp.sync.orders import sync_product
    from shuup_mailchimp.sync.related import bring_up_to_date

    basket = stored_basket_model().objects.filter(pk=item.object_id, shop_id=shop_settings.shop_id).first()
    state = dict(item.state or {})
    why = closed_reason(basket, shop_settings)
    contact = None
    if not why:
        contact, why = cart_contact(basket)
    if not why and ordered_since(basket, contact):
        why = "ordered since the basket last changed"
    if not why:
        why = marketing_refused(shop_settings.shop_id, contact, contact_state(shop_settings.shop_id, contact.pk))
    if why:
        return _withdraw(client, shop_settings, item, state, why)
    due = due_at(basket)
    if due > timezone.now():
        outbox.defer(item, due)
        return Outcome(skipped=True, note="waiting until the basket is idle (%s)" % due.isoformat())

    contact_item = bring_up_to_date(client, shop_settings, SyncKind.CONTACT, contact.pk, sync_contact)
    contact_state_now = dict(contact_item.state or {})
    why = marketing_refused(shop_settings.shop_id, contact, contact_state_now)
    lines = cart_lines(basket) if not why else []
    if not why and not lines:
        why = "basket emptied"
    if why:
        return _withdraw(client, shop_settings, item, state, why)
    for parent_id in sorted({int(line["product_id"]) for line in lines}):
        bring_up_to_date(client, shop_settings, SyncKind.PRODUCT, parent_id, sync_product)

    customer_id = customer_id_for(contact.pk, contact_state_now)
    body = cart_payload(basket, customer_id, lines, restore_url(shop_settings, basket.pk, contact.pk))
    digest = cart_fingerprint(body)
    tag = (shop_settings.abandoned_cart_tag or "").strip()
    email = (contact_state_now.get("email") or contact.email or "").strip()
    if digest == item.fingerprint and item.synced_on and state.get("sent") and state.get("tag", "") == tag:
        return Outcome(skipped=True, note="unchanged", fingerprint=digest)
    store_id = shop_settings.store_id
    with client.about(object_kind="cart", object_id=basket.pk):
        if state.get("sent") and state.get("customer_id") and state["customer_id"] != customer_id:
            # The contact moved to a new customer (a new address): a PATCH keeps a cart's customer,
            # so the cart is made again for the new one (found by the fault soak).
            try:
                api.delete_cart(client, store_id, body["id"])
            except MailchimpNotFoundError:
                pass  # deleted already (by an attempt whose answer was lost)
            state.update(sent=False, line_ids=[])
            outbox.save_state(item, state)
        if state.get("sent"):
            try:
                _update(client, store_id, body, state)
            except MailchimpNotFoundError:  # deleted in Mailchimp, or a new store
                api.create_cart(client, store_id, body)
        else:
            # A create whose answer is lost (the connection dropped after Mailchimp made it) leaves a
            # cart we would not know of: if the basket then closes, nothing would delete it and the
            # abandoned-cart email would go out for a basket that was ordered. So the cart counts as
            # sent from before the call: a withdrawal deletes it (a 404 is fine), a retry updates it
            # (a 404 creates it). Found by the fault soak.
            outbox.save_state(item, dict(state, sent=True, customer_id=customer_id, contact_id=contact.pk))
            try:
                api.create_cart(client, store_id, body)
            except MailchimpError as exc:
                if not is_already_exists(exc):
                    raise
                _update(client, store_id, body, state)  # created by an attempt whose answer was lost
        state.update(sent=True, line_ids=[line["id"] for line in body["lines"]], customer_id=customer_id,
                     contact_id=contact.pk)
        outbox.save_state(item, state)
        state = _retag(client, shop_settings, item, state, email, tag)
    return Outcome(fingerprint=digest, remote_id=body["id"], state=state,
                   note="cart of %d line(s) for customer %s" % (len(lines), customer_id))


def _update(client, store_id, body, state):
    update = {k: v for k, v in body.items() if k not in ("id", "customer")}
    api.update_cart(client, store_id, body["id"], update)
    for line_id in sorted(set(state.get("line_ids") or []) - {line["id"] for line in body["lines"]}):
        try:
            api.delete_cart_line(client, store_id, body["id"], line_id)
        except MailchimpNotFoundError:
            pass  # deleted by an earlier attempt whose answer was lost


def _retag(client, shop_settings, item, state, email, tag) -> dict:
    """Put the shop's abandoned-cart tag on the member (and take off one the shop no longer uses).

    The member may have moved to a new address since it was tagged (an email change carries its
    tags along): the tag's address follows, so a later withdrawal untags the right member."""
    old = state.get("tag", "")
    if old and old != tag and state.get("tag_email"):
        for address in _tagged_addresses(shop_settings, state):
            _tag(client, shop_settings, address, old, False)
        state.update(tag="", tag_email="")
    if tag and email and (old != tag or str(state.get("tag_email") or "").lower() != email.lower()):
        # Known before the call: a tagging whose answer is lost is still taken off on withdrawal.
        outbox.save_state(item, dict(state, tagging={"tag": tag, "email": email}))
        _tag(client, shop_settings, email, tag, True)
        state.update(tag=tag, tag_email=email)
    state.pop("tagging", None)
    return state


def _tagged_addresses(shop_settings, state) -> list:
    """Where the cart's tag may be: the address it was put on (or was being put on when an answer
    was lost), and the contact's member address now (the member carried the tag along when it
    moved to a new address). Both found by the fault soak."""
    addresses = {str(state.get("tag_email") or "").strip(), str((state.get("tagging") or {}).get("email") or "")}
    if state.get("contact_id"):
        addresses.add(str(contact_state(shop_settings.shop_id, state["contact_id"]).get("email") or "").strip())
    return sorted(a for a in addresses if a)


def _tag(client, shop_settings, email, tag, active):
    try:
        api.set_member_tag(client, shop_settings.audience_id, email, tag, active)
    except MailchimpNotFoundError:
        pass  # no member at that address (any more): nothing to tag


def _withdraw(client, shop_settings, item, state, why) -> Outcome:
    """The basket no longer makes an abandoned cart: delete the cart sent before, untag the member."""
    tag = state.get("tag") or (state.get("tagging") or {}).get("tag")  # or a tagging whose answer was lost
    if not (state.get("sent") or tag):
        state.pop("tagging", None)
        return Outcome(skipped=True, note="not sent: %s" % why, state=state)
    with client.about(object_kind="cart", object_id=item.object_id):
        if state.get("sent"):
            try:
                api.delete_cart(client, shop_settings.store_id, str(item.object_id))
            except MailchimpNotFoundError:
                pass  # deleted already (in Mailchimp, or by an attempt whose answer was lost)
            state.update(sent=False, line_ids=[])
            outbox.save_state(item, state)
        if tag:
            for address in _tagged_addresses(shop_settings, state):
                _tag(client, shop_settings, address, tag, False)
        state.update(tag="", tag_email="")
        state.pop("tagging", None)
    return Outcome(note="cart deleted: %s" % why, state=state)


# Recording ----------------------------------------------------------------------------------------------

def record_basket(shop_id: int, basket) -> list:
    """The receiver's one write for a saved basket: due when idle, or due now when it closed
    (only if it has an item: a cart may have to be deleted). Returns keys due *now*."""
    if is_open(basket) and is_identifiable(basket):
        outbox.record_due(shop_id, SyncKind.CART, basket.pk, due_at(basket))
        return []
    return outbox.touch(shop_id, SyncKind.CART, basket.pk)


def after_order(shop_id: int, order) -> list:
    """The customer ordered: their other baskets already sent as carts are looked at again (their
    carts go, and the tag with them)."""
    return touch_open_carts(shop_id, order.customer_id) if order.customer_id else []


def touch_open_carts(shop_id: int, contact_id: int) -> list:
    """Look again at the contact's open baskets that have a cart item (an order, a withdrawal):
    one UPDATE each of the items that exist; picked up by the next run."""
    from django.apps import apps

    if not apps.is_installed("shuup.front"):  # no stored baskets, no carts
        return []
    baskets = stored_basket_model().objects.filter(shop_id=shop_id, customer_id=contact_id, deleted=False,
                                                   finished=False).values_list("pk", flat=True)
    keys = []
    for basket_id in baskets:
        keys += outbox.touch(shop_id, SyncKind.CART, basket_id)
    return keys


def preview(item, shop_settings) -> list:
    """[(title, body)] the cart would be now, for the admin's item page (no Mailchimp call, no write)."""
    basket = stored_basket_model().objects.filter(pk=item.object_id, shop_id=shop_settings.shop_id).first()
    why = closed_reason(basket, shop_settings)
    contact, why = (None, why) if why else cart_contact(basket)
    if why:
        return [("not a cart", {"why": why})]
    from shuup_mailchimp.sync.contacts import customer_id_for

    customer_id = customer_id_for(contact.pk, contact_state(shop_settings.shop_id, contact.pk))
    body = cart_payload(basket, customer_id, cart_lines(basket), restore_url(shop_settings, basket.pk, contact.pk))
    return [("eCommerce cart (ecommerce/stores/%s/carts), due %s" % (shop_settings.store_id or "?",
                                                                     due_at(basket).isoformat()), body)]
