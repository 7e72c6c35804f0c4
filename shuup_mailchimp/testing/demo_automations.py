"""Demo data for the commerce automations: an abandoned cart, a promo code (and an order that used
it) and a newsletter sign-up.

``seed_automations(shop)`` runs after the demo's sync (the shop is configured and its store
initialized). It is idempotent: a second run reuses what the first made. Everything goes through
the addon's own paths (receivers -> outbox -> processing): the basket is left idle by moving its
last change back in time, then the due items are sent.
"""
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

from django.db.models import F

DEMO_CART_EMAIL = "cara.cart@mailbox.org"
DEMO_SIGNUP_EMAIL = "newsletter.reader@mailbox.org"
DEMO_COUPON = "WELCOME10"
DEMO_PROMO_EMAIL = "pia.promo@mailbox.org"
DEMO_TAG = "Abandoned cart"


def seed_automations(shop, stdout=None) -> dict:
    """Seed and send a cart, a promo code and a sign-up; return what was made (also written to ``stdout``)."""
    from shuup_mailchimp.models import MailchimpShopSettings
    from shuup_mailchimp.sync.processing import process_due

    shop_settings = MailchimpShopSettings.for_shop(shop)
    if not shop_settings.abandoned_cart_tag:
        shop_settings.abandoned_cart_tag = DEMO_TAG
        shop_settings.save()
    code = _promo_code(shop)
    promo_order = _order_with_code(shop)
    email = _signup(shop)
    box = _signup_box(shop)
    basket = _abandoned_basket(shop)
    summary = process_due(shop_id=shop.pk)
    result = {"cart": basket.pk if basket else None, "promo_code": code, "signup": email, "signup_box": box,
              "promo_order": promo_order.pk if promo_order else None, "sent": str(summary)}
    if stdout is not None:
        stdout.write("Commerce automations: cart #%s of %s (tag %r), promo code %s%s, sign-up of %s (%s)" % (
            result["cart"], DEMO_CART_EMAIL, shop_settings.abandoned_cart_tag, code,
            " (used by order #%s)" % promo_order.pk if promo_order else "", email,
            "pending: double opt-in" if shop_settings.double_opt_in else "subscribed"))
        if box:
            stdout.write("  The sign-up box is on the shop's front page (http://127.0.0.1:8000/ with make run).")
        stdout.write("  %s" % result["sent"])
    return result


def _promo_code(shop) -> str:
    from shuup.campaigns.models import BasketCampaign, Coupon
    from shuup.campaigns.models.basket_effects import BasketDiscountPercentage

    coupon = Coupon.objects.filter(shop=shop, code=DEMO_COUPON).first()
    if coupon is None:
        coupon = Coupon.objects.create(shop=shop, code=DEMO_COUPON, active=True)
    campaign = BasketCampaign.objects.filter(shop=shop, coupon=coupon).first()
    if campaign is None:
        campaign = BasketCampaign.objects.create(shop=shop, name="Welcome offer", public_name="Welcome offer: 10% off",
                                                 active=True, coupon=coupon)
        BasketDiscountPercentage.objects.create(campaign=campaign, discount_percentage=Decimal("0.10"))
    return coupon.code


def _order_with_code(shop):
    """One order placed with the code typed in, as a customer would (Shuup's own coupon applies the
    discount), so Mailchimp shows the code used and the order's ``promos``. None without products."""
    from shuup.campaigns.models import Coupon
    from shuup.campaigns.models.campaigns import CouponUsage
    from shuup.core.models import MutableAddress, OrderLineType, OrderStatus, PersonContact, ShopProduct
    from shuup.core.defaults.order_statuses import create_default_order_statuses
    from shuup.core.order_creator import OrderCreator, OrderSource

    coupon = Coupon.objects.get(shop=shop, code=DEMO_COUPON)
    usage = CouponUsage.objects.filter(coupon=coupon).select_related("order").first()
    if usage is not None:
        return usage.order
    shop_product = (ShopProduct.objects.filter(shop=shop, default_price_value__gt=0).select_related("product")
                    .prefetch_related("suppliers").order_by("pk").first())
    supplier = shop_product.suppliers.first() if shop_product else None
    if supplier is None:
        return None
    contact = PersonContact.objects.filter(email=DEMO_PROMO_EMAIL).first()
    if contact is None:
        contact = PersonContact.objects.create(first_name="Pia", last_name="Promo", email=DEMO_PROMO_EMAIL,
                                               marketing_permission=True)
        contact.add_to_shop(shop)
    address = MutableAddress.objects.create(name="Pia Promo", street="1 Demo Street", city="Helsinki",
                                            postal_code="00100", country="FI", email=DEMO_PROMO_EMAIL)
    source = OrderSource(shop)
    source.customer = source.orderer = contact
    source.billing_address = source.shipping_address = address
    create_default_order_statuses()  # Shuup's own defaults, if the shop has none yet (idempotent)
    source.status = OrderStatus.objects.get_default_initial()
    source.marketing_permission = True  # the order creator copies it onto the customer
    source.add_line(type=OrderLineType.PRODUCT, product=shop_product.product, supplier=supplier, quantity=1,
                    base_unit_price=source.create_price(shop_product.default_price_value),
                    sku=shop_product.product.sku, text=shop_product.product.sku)
    if not source.add_code(DEMO_COUPON):
        return None
    return OrderCreator().create_order(source)


def _signup(shop) -> str:
    from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSignup
    from shuup_mailchimp.sync.signup import consent_text, find_contact, sign_up

    contact = find_contact(shop, DEMO_SIGNUP_EMAIL)
    if contact is None or not MailchimpSignup.objects.filter(shop=shop, contact=contact).exists():
        sign_up(shop, DEMO_SIGNUP_EMAIL, consent_text(MailchimpShopSettings.for_shop(shop)),
                MailchimpSignup.SOURCE_BOX)
    return DEMO_SIGNUP_EMAIL


def _signup_box(shop) -> bool:
    """The sign-up plugin on the front page (the theme's ``front_content`` placeholder of ``IndexView``), so
    a newcomer can sign up in the demo shop. A front page that already has a layout is left alone.
    True when the box is there."""
    try:
        from shuup.xtheme import get_current_theme
        from shuup.xtheme.layout import Layout
        from shuup.xtheme.models import SavedViewConfig, SavedViewConfigStatus
    except ImportError:  # pragma: no cover - xtheme is part of Shuup
        return False
    from shuup_mailchimp.plugins import NewsletterSignupPlugin

    theme = get_current_theme(shop)
    if theme is None:
        return False
    views = SavedViewConfig.objects.filter(theme_identifier=theme.identifier, shop=shop, view_name="IndexView",
                                           status=SavedViewConfigStatus.PUBLIC)
    view = views.order_by("-pk").first()
    if view is not None:
        return NewsletterSignupPlugin.identifier in str(view.get_layout_data("front_content") or "")
    layout = Layout(theme, "front_content")
    layout.begin_row()
    layout.begin_column({"md": 6})
    layout.add_plugin(NewsletterSignupPlugin.identifier, {
        "title": {"en": "Our newsletter"},
        "text": {"en": "New products and offers, about twice a month."},
    })
    view = SavedViewConfig(theme_identifier=theme.identifier, shop=shop, view_name="IndexView",
                           status=SavedViewConfigStatus.CURRENT_DRAFT)
    view.set_layout_data(layout.placeholder_name, layout)
    view.save()
    view.publish()
    return True


def _abandoned_basket(shop):
    """A consenting customer's basket of two products, last changed two hours ago."""
    from shuup.core.models import OrderLineType, PersonContact, ShopProduct
    from shuup.front.models import StoredBasket

    from shuup_mailchimp.sync.carts import record_basket

    contact = PersonContact.objects.filter(email=DEMO_CART_EMAIL).first()
    if contact is None:
        contact = PersonContact.objects.create(first_name="Cara", last_name="Cart", email=DEMO_CART_EMAIL,
                                               marketing_permission=True)
        contact.add_to_shop(shop)
    basket = StoredBasket.objects.filter(shop=shop, customer=contact, deleted=False, finished=False).first()
    if basket is None:
        shop_products = list(ShopProduct.objects.filter(shop=shop, default_price_value__gt=0).select_related(
            "product").order_by("pk")[:2])
        if not shop_products:
            return None
        lines, total = [], Decimal(0)
        for quantity, shop_product in enumerate(shop_products, start=1):
            price = shop_product.default_price_value
            total += price * quantity
            lines.append({"line_id": uuid4().hex, "type": OrderLineType.PRODUCT, "shop_id": shop.pk,
                          "product_id": shop_product.product_id, "supplier_id": None, "quantity": quantity,
                          "base_unit_price": price, "discount_amount": Decimal(0), "sku": shop_product.product.sku,
                          "text": shop_product.product.sku})
        basket = StoredBasket.objects.create(
            shop=shop, customer=contact, orderer=contact, currency=shop.currency,
            prices_include_tax=shop.prices_include_tax, data={"lines": lines, "customer_id": contact.pk},
            product_count=sum(line["quantity"] for line in lines), taxful_total_price_value=total,
            taxless_total_price_value=total)
    StoredBasket.objects.filter(pk=basket.pk).update(updated_on=F("updated_on") - timedelta(hours=2))
    basket.refresh_from_db()
    record_basket(shop.pk, basket)  # what the receiver recorded, two hours ago: due now
    return basket
