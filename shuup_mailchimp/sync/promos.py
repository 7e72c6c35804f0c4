"""Promo codes: a shop's discount campaigns with a coupon -> Mailchimp promo rules and promo codes.

One ``SyncKind.PROMO`` item per ``BasketCampaign`` (shuup.campaigns): the campaign is the promo
rule (id ``str(campaign.pk)``: its discount, its dates, enabled while it is available) and its
``Coupon`` the rule's one promo code (id ``str(coupon.pk)``, the code, how often it was used,
enabled while it can be used). The code keeps working in the shop because it *is* Shuup's own
coupon: Mailchimp only shows it in emails.

- a change of the campaign, its effects or its coupon, and each use of the coupon, record the item;
- a campaign that is deactivated, ends or is used up is sent ``enabled: false``; one whose dates
  make it start or end is found by :func:`record_availability_changes` (Celery beat), and its
  ``starts_at`` / ``ends_at`` are in Mailchimp too;
- a deleted campaign (or one without a coupon any more) deletes its rule, and its code with it;
  a replaced coupon's code is deleted before the new one is made (a code is unique per rule).

Orders report the codes they used (``payloads.order_promos``).
"""
from decimal import Decimal

from shuup_mailchimp.client import promos as api
from shuup_mailchimp.client.errors import is_already_exists
from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.exceptions import MailchimpError, MailchimpNotFoundError
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.outbox import Outcome
from shuup_mailchimp.sync.payloads import fingerprint, money

FIXED, PERCENTAGE = "fixed", "percentage"
TOTAL, PER_ITEM = "total", "per_item"


def campaigns_installed() -> bool:
    from django.apps import apps

    return apps.is_installed("shuup.campaigns")


def _iso(moment):
    return moment.isoformat() if moment else ""


def discount_of(campaign):
    """(amount, type, target) of the campaign's first effect, as Mailchimp describes a promo rule.

    A percentage is 0..1 (as Shuup stores it); a discount on products is ``per_item``; an effect
    without a Mailchimp equivalent (a free product) is a fixed 0.
    """
    from shuup.campaigns.models.basket_effects import (
        BasketDiscountAmount,
        BasketDiscountPercentage,
        DiscountPercentageFromUndiscounted,
    )
    from shuup.campaigns.models.basket_line_effects import DiscountFromCategoryProducts, DiscountFromProduct

    for effect in campaign.discount_effects.all():
        if isinstance(effect, BasketDiscountAmount):
            return money(effect.discount_amount or 0), FIXED, TOTAL
        if isinstance(effect, (BasketDiscountPercentage, DiscountPercentageFromUndiscounted)):
            return _fraction(effect.discount_percentage), PERCENTAGE, TOTAL
    for effect in campaign.line_effects.all():
        if isinstance(effect, DiscountFromCategoryProducts) and effect.discount_percentage:
            return _fraction(effect.discount_percentage), PERCENTAGE, PER_ITEM
        if isinstance(effect, (DiscountFromProduct, DiscountFromCategoryProducts)):
            return money(effect.discount_amount or 0), FIXED, PER_ITEM
    return 0.0, FIXED, TOTAL


def _fraction(value) -> float:
    return float(min(max(Decimal(value or 0), Decimal(0)), Decimal(1)))


def is_usable(campaign, coupon) -> bool:
    """The code works in the shop now: the campaign is available and the coupon active, not used up."""
    return bool(campaign.is_available() and coupon.active and not coupon.exhausted)


def rule_payload(campaign, enabled: bool) -> dict:
    amount, kind, target = discount_of(campaign)
    public_name = campaign.safe_translation_getter("public_name", any_language=True)
    name = str(public_name or campaign.name or "").strip() or "Campaign %s" % campaign.pk
    body = {
        "id": str(campaign.pk),
        "title": str(campaign.name or name)[:100],
        "description": name[:255],
        "amount": amount,
        "type": kind,
        "target": target,
        "enabled": enabled,
        "created_at_foreign": _iso(campaign.created_on),
        "updated_at_foreign": _iso(campaign.modified_on),
    }
    if campaign.start_datetime:
        body["starts_at"] = _iso(campaign.start_datetime)
    if campaign.end_datetime:
        body["ends_at"] = _iso(campaign.end_datetime)
    return body


def code_payload(coupon, redemption_url: str, enabled: bool) -> dict:
    return {
        "id": str(coupon.pk),
        "code": coupon.code,
        "redemption_url": redemption_url,
        "usage_count": coupon.usages.count(),
        "enabled": enabled,
        "created_at_foreign": _iso(coupon.created_on),
        "updated_at_foreign": _iso(coupon.modified_on),
    }


def redemption_url(shop_settings) -> str:
    """Where the code is typed in: the shop's basket page ("" without a public address)."""
    from django.urls import NoReverseMatch, reverse

    from shuup_mailchimp.sync.webhook_setup import public_base_url

    base = public_base_url(shop_settings)
    if not base:
        return ""
    try:
        return base + reverse("shuup:basket")
    except NoReverseMatch:
        return base + "/"


def promo_fingerprint(rule: dict, code: dict) -> str:
    """Timestamps move on every save; what Mailchimp shows decides whether to send again."""
    stamps = ("created_at_foreign", "updated_at_foreign")
    return fingerprint({k: v for k, v in rule.items() if k not in stamps},
                       {k: v for k, v in code.items() if k not in stamps})


def sync_promo(client, shop_settings, item) -> Outcome:
    from shuup.campaigns.models import BasketCampaign

    campaign = BasketCampaign.objects.filter(pk=item.object_id, shop_id=shop_settings.shop_id).select_related(
        "coupon").first()
    state = dict(item.state or {})
    if campaign is None or campaign.coupon is None:
        why = "campaign deleted in Shuup" if campaign is None else "the campaign has no coupon code any more"
        return _remove(client, shop_settings, item, state, why)
    url = redemption_url(shop_settings)
    if not url:
        return Outcome(skipped=True, note="no public address known for the shop: a promo code needs a redemption "
                                          "URL (set SHUUP_MAILCHIMP_PUBLIC_URL or the shop's domain)")
    coupon = campaign.coupon
    enabled = is_usable(campaign, coupon)
    rule, code = rule_payload(campaign, enabled), code_payload(coupon, url, enabled)
    digest = promo_fingerprint(rule, code)
    if digest == item.fingerprint and item.synced_on and state.get("rule_id"):
        return Outcome(skipped=True, note="unchanged", fingerprint=digest)
    store_id = shop_settings.store_id
    with client.about(object_kind="promo", object_id=campaign.pk):
        _upsert(client, store_id, rule, state.get("rule_id") == rule["id"], api.create_rule,
                lambda body: api.update_rule(client, store_id, rule["id"], body))
        state["rule_id"] = rule["id"]
        outbox.save_state(item, state)
        old_code = state.get("code_id")
        if old_code and old_code != code["id"]:  # the coupon was replaced: a code is unique per rule
            try:
                api.delete_code(client, store_id, rule["id"], old_code)
            except MailchimpNotFoundError:
                pass
            state["code_id"] = ""
            outbox.save_state(item, state)
        _upsert(client, store_id, code, state.get("code_id") == code["id"],
                lambda c, s, body: api.create_code(c, s, rule["id"], body),
                lambda body: api.update_code(client, store_id, rule["id"], code["id"], body))
    state.update(code_id=code["id"], code=code["code"], enabled=enabled)
    return Outcome(fingerprint=digest, remote_id=rule["id"], state=state,
                   note="promo code %s (%s, used %d times)" % (code["code"], "enabled" if enabled else "disabled",
                                                                code["usage_count"]))


def _upsert(client, store_id, body, known, create, update):
    """PATCH what Mailchimp has (created again when it lost it), POST what it has not."""
    changes = {k: v for k, v in body.items() if k != "id"}
    if known:
        try:
            update(changes)
            return
        except MailchimpNotFoundError:  # deleted in Mailchimp, or a new store
            pass
    try:
        create(client, store_id, body)
    except MailchimpError as exc:
        if not is_already_exists(exc):
            raise
        update(changes)  # made by an attempt whose answer was lost


def _remove(client, shop_settings, item, state, why) -> Outcome:
    rule_id = state.get("rule_id")
    if not rule_id:
        return Outcome(skipped=True, note="not sent: %s" % why)
    with client.about(object_kind="promo", object_id=item.object_id):
        try:
            api.delete_rule(client, shop_settings.store_id, rule_id)  # its codes go with it
        except MailchimpNotFoundError:
            pass
    return Outcome(note="promo rule deleted: %s" % why, state={})


# Recording -----------------------------------------------------------------------------------------------

def record_campaign(campaign_ids, active_shops) -> list:
    """Record PROMO work for these campaigns of enabled shops (the receivers' one write each)."""
    from shuup.campaigns.models import BasketCampaign

    keys = []
    for campaign_id, shop_id in BasketCampaign.objects.filter(pk__in=list(campaign_ids)).values_list("pk", "shop_id"):
        if shop_id in active_shops:
            keys += outbox.record([shop_id], SyncKind.PROMO, campaign_id)
    return keys


def record_availability_changes(shop_id=None) -> list:
    """Record the promos whose campaign started, ended or was used up since they were sent
    (nothing was saved, so no receiver saw it). Run by Celery beat; cheap: the shop's promo items."""
    if not campaigns_installed():
        return []
    from shuup.campaigns.models import BasketCampaign

    items = MailchimpSyncItem.objects.filter(kind=SyncKind.PROMO, shop_id__in=outbox.active_shop_ids())
    if shop_id is not None:
        items = items.filter(shop_id=shop_id)
    sent = {}
    for shop, object_id, state in items.values_list("shop_id", "object_id", "state"):
        if isinstance(state, str):
            import json

            state = json.loads(state or "{}")
        if (state or {}).get("rule_id"):
            sent[object_id] = (shop, bool(state.get("enabled")))
    keys = []
    campaigns = BasketCampaign.objects.filter(pk__in=list(sent)).select_related("coupon")
    for campaign in campaigns:
        shop, was_enabled = sent[campaign.pk]
        if campaign.coupon is not None and is_usable(campaign, campaign.coupon) != was_enabled:
            keys += outbox.record([shop], SyncKind.PROMO, campaign.pk)
    return keys


def preview(item, shop_settings) -> list:
    """[(title, body)] the promo rule and code would be now, for the admin's item page (no call, no write)."""
    from shuup.campaigns.models import BasketCampaign

    campaign = BasketCampaign.objects.filter(pk=item.object_id).select_related("coupon").first()
    if campaign is None or campaign.coupon is None:
        return []
    enabled = is_usable(campaign, campaign.coupon)
    store = shop_settings.store_id or "?"
    return [("promo rule (ecommerce/stores/%s/promo-rules)" % store, rule_payload(campaign, enabled)),
            ("promo code (…/promo-rules/%s/promo-codes)" % campaign.pk,
             code_payload(campaign.coupon, redemption_url(shop_settings), enabled))]


def record_all(shop_id: int) -> int:
    """Record every campaign with a coupon of the shop (a new store holds no promo codes yet)."""
    if not campaigns_installed():
        return 0
    from shuup.campaigns.models import BasketCampaign

    ids = BasketCampaign.objects.filter(shop_id=shop_id, coupon__isnull=False).values_list("pk", flat=True)
    for campaign_id in ids:
        outbox.record([shop_id], SyncKind.PROMO, campaign_id)
    return len(ids)
