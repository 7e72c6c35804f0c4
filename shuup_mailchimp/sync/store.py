"""Initialize store: create or safely reuse the shop's eCommerce store and the "Contact Group" category.

Idempotent: running it again updates the store's fields and creates nothing new. A store id
that exists on another audience is an error, never a silent re-point (Mailchimp cannot
move a store between audiences).
"""
import secrets

from django.conf import settings
from django.utils import timezone

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.call_log import log_process
from shuup_mailchimp.client import account, client_for, ecommerce
from shuup_mailchimp.client.errors import is_already_exists
from shuup_mailchimp.exceptions import MailchimpConfigurationError, MailchimpError, MailchimpNotFoundError
from shuup_mailchimp.sync.interests import ensure_category, ensure_interests
from shuup_mailchimp.sync.payloads import store_payload


class StoreConflictError(MailchimpError):
    """The store id or domain is taken by a store on another audience."""


def new_store_id(shop_id) -> str:
    """Unique across shops (the shop id) and installations (a random token); Mailchimp caps ids at 50."""
    return ("%s-%s-%s" % (app_settings.STORE_ID_PREFIX, shop_id, secrets.token_hex(4)))[:50]


def initialize_store(shop_settings, client=None) -> dict:
    """Create or update the store and the interests. Returns a summary dict. Raises ``MailchimpError``."""
    if not shop_settings.is_configured:
        raise MailchimpConfigurationError("Set the API key and the audience id of shop %s first." % shop_settings.shop_id)
    client = client or client_for(shop_settings)
    try:
        summary = _initialize(client, shop_settings)
    except MailchimpError as exc:
        log_process(shop_settings.shop_id, "initialize_store", "Initialize store failed.", success=False, error=exc)
        raise
    log_process(
        shop_settings.shop_id,
        "initialize_store",
        "Store %(store_id)s %(store_action)s on audience %(audience_id)s; %(interests)d interests; %(webhook)s."
        % summary,
    )
    return summary


def _initialize(client, shop_settings) -> dict:
    try:
        account.get_audience(client, shop_settings.audience_id)
    except MailchimpNotFoundError as exc:
        raise MailchimpNotFoundError(
            status=404,
            title="Audience not found",
            detail="Audience %r does not exist in this Mailchimp account." % shop_settings.audience_id,
        ) from exc
    shop = shop_settings.shop
    store_id = _agreed_store_id(client, shop_settings)
    body = store_payload(shop, shop_settings.audience_id, store_id, settings.LANGUAGE_CODE, settings.TIME_ZONE)
    existing = ecommerce.get_store(client, store_id)  # also finds a create that timed out but was applied
    if existing is None:
        try:
            ecommerce.create_store(client, body)
            action = "created"
        except MailchimpError as exc:
            if not is_already_exists(exc):
                raise
            if "domain" in exc.detail:
                raise StoreConflictError(
                    status=400,
                    title="Store domain taken",
                    detail="%s Another store in this account uses the domain %r; change the shop's domain "
                    "or enter that store's id if it is this shop's." % (exc.detail, body.get("domain")),
                ) from exc
            existing = ecommerce.get_store(client, store_id)  # another worker created it just now
            if existing is None:
                raise
    if existing is not None and existing.get("list_id") != shop_settings.audience_id:
        raise StoreConflictError(
            status=400,
            title="Store belongs to another audience",
            detail="Store %r is connected to audience %r, not %r. Mailchimp cannot move a store: choose audience "
            "%r, or clear the store id to create a new store." % (
                store_id, existing.get("list_id"), shop_settings.audience_id, existing.get("list_id")),
        )
    if existing is not None:
        update = {k: v for k, v in body.items() if k not in ("id", "list_id")}
        ecommerce.update_store(client, store_id, update)
        action = "updated"
    ensure_category(client, shop_settings)  # looked up again: it may have been deleted in Mailchimp
    interests = ensure_interests(client, shop_settings)
    shop_settings.store_initialized_on = timezone.now()
    type(shop_settings).objects.filter(pk=shop_settings.pk).update(store_initialized_on=shop_settings.store_initialized_on)
    if action == "created":
        _resend_to_new_store(shop_settings.shop_id)
    return {
        "store_id": store_id,
        "store_action": action,
        "audience_id": shop_settings.audience_id,
        "category_id": shop_settings.interest_category_id,
        "interests": len(interests),
        "webhook": _register_webhook(client, shop_settings),
    }


def _register_webhook(client, shop_settings) -> str:
    """Register the audience webhook when Mailchimp can reach the shop; say why not otherwise."""
    from shuup_mailchimp.sync import webhook_setup

    try:
        report = webhook_setup.register(client, shop_settings)
    except webhook_setup.WebhookURLError as exc:
        return "webhook not registered: %s" % exc
    except MailchimpError as exc:  # e.g. Mailchimp's validation GET could not reach the shop
        return ("webhook not registered: %s. Once the shop answers at its public address, run "
                "`python manage.py mailchimp_webhooks --shop %s --register`" % (
                    exc.describe().rstrip("."), shop_settings.shop_id))
    return "webhook registered at %s" % report.url


def _agreed_store_id(client, shop_settings) -> str:
    """The shop's store id, chosen once: saved with a conditional UPDATE *before* any create, so two
    workers (or a retry after a create that timed out) agree on one store."""
    if shop_settings.store_id:
        return shop_settings.store_id
    if shop_settings.pk is None:
        shop_settings.save()
    candidate = _reusable_store_id(client, shop_settings) or new_store_id(shop_settings.shop_id)
    model = type(shop_settings)
    model.objects.filter(pk=shop_settings.pk, store_id="").update(store_id=candidate)
    shop_settings.store_id = model.objects.filter(pk=shop_settings.pk).values_list("store_id", flat=True)[0]
    return shop_settings.store_id


def _resend_to_new_store(shop_id):
    """A new store holds nothing: what was sent to an earlier store goes again, and everything the
    shop already has is queued (groups, contacts, products, orders)."""
    from shuup_mailchimp.enums import SyncKind
    from shuup_mailchimp.sync import outbox
    from shuup_mailchimp.sync.backfill import record_everything

    outbox.forget_remote(shop_id, [SyncKind.ORDER, SyncKind.PRODUCT, SyncKind.PROMO, SyncKind.CART])
    outbox.forget_fingerprints(shop_id, [SyncKind.CONTACT])  # their state describes the audience: kept
    record_everything(shop_id)
    from shuup_mailchimp.sync.promos import record_all as record_promos

    record_promos(shop_id)  # carts follow their baskets' next change


def _reusable_store_id(client, shop_settings):
    """After a reinstall the settings lost the store id: reuse this shop's store (same domain and audience)."""
    domain = shop_settings.shop.domain
    if not domain:
        return None
    stores = client.get("stores.all", "ecommerce/stores", count=1000).get("stores", [])
    for store in stores:
        if store.get("domain") == domain and store.get("list_id") == shop_settings.audience_id:
            return store["id"]
    return None
