"""Promo codes: a discount campaign's coupon becomes a Mailchimp promo rule and code (updated,
disabled, deleted with it, with its usage count), and an order that used it names it."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from shuup.campaigns.models import BasketCampaign, Coupon
from shuup.campaigns.models.basket_effects import BasketDiscountAmount, BasketDiscountPercentage
from shuup.core.models import OrderLineType, PersonContact, get_person_contact
from shuup.core.order_creator import OrderCreator, OrderSource
from shuup.testing import factories

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import promos
from shuup_mailchimp.sync.processing import process_due


def discount_campaign(shop, code="SPRING10", amount=None, percentage=None, **kw):
    coupon = Coupon.objects.create(code=code, active=True, shop=shop)
    campaign = BasketCampaign.objects.create(shop=shop, name="Spring sale", public_name="Spring sale",
                                             active=kw.pop("active", True), coupon=coupon, **kw)
    if percentage is not None:
        BasketDiscountPercentage.objects.create(campaign=campaign, discount_percentage=Decimal(percentage))
    else:
        BasketDiscountAmount.objects.create(campaign=campaign, discount_amount=Decimal(amount or 5))
    return campaign


def rules(emulator, settings):
    return emulator.snapshot()["stores"][settings.store_id]["promo_rules"]


def order_with_code(shop, contact, product, code):
    """An order placed with the code typed in (Shuup's own coupon: the campaign module applies it)."""
    source = OrderSource(shop)
    source.customer = contact
    source.billing_address = source.shipping_address = factories.create_random_address()
    source.status = factories.get_initial_order_status()
    supplier = factories.get_default_supplier()
    source.add_line(type=OrderLineType.PRODUCT, product=product, supplier=supplier, quantity=2,
                    base_unit_price=source.create_price(20), sku=product.sku, text=product.sku)
    assert source.add_code(code)
    return OrderCreator().create_order(source)


@pytest.mark.django_db
def test_a_coupon_becomes_a_promo_rule_and_code(initialized, emulator):
    campaign = discount_campaign(initialized.shop, amount=5)
    rule = rules(emulator, initialized)[str(campaign.pk)]
    assert (rule["amount"], rule["type"], rule["target"], rule["enabled"]) == (5.0, "fixed", "total", True)
    assert rule["description"] == "Spring sale"
    code = rule["promo_codes"][str(campaign.coupon.pk)]
    assert code["code"] == "SPRING10" and code["enabled"] is True and code["usage_count"] == 0
    assert code["redemption_url"] == "https://%s/basket/" % initialized.shop.domain
    item = MailchimpSyncItem.objects.get(kind=SyncKind.PROMO, object_id=campaign.pk)
    assert item.status == SyncStatus.SYNCED and "SPRING10" in item.note
    assert [body["id"] for _, body in promos.preview(item, initialized)] == [str(campaign.pk), str(campaign.coupon.pk)]


@pytest.mark.django_db
def test_a_percentage_campaign_is_a_percentage_rule(initialized, emulator):
    campaign = discount_campaign(initialized.shop, code="TENOFF", percentage="0.1")
    rule = rules(emulator, initialized)[str(campaign.pk)]
    assert (rule["amount"], rule["type"]) == (0.1, "percentage")


@pytest.mark.django_db
def test_the_order_that_used_the_code_names_it_and_the_usage_counts(initialized, emulator):
    campaign = discount_campaign(initialized.shop, amount=5)
    product = factories.create_product("promo-sku", shop=initialized.shop, supplier=factories.get_default_supplier(),
                                       default_price=20)
    contact = PersonContact.objects.create(first_name="Pia", last_name="Promo", email="pia@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    order = order_with_code(initialized.shop, contact, product, "spring10")  # typed as customers do
    assert order.coupon_usages.count() == 1  # the code works in the shop: it is Shuup's own coupon
    remote = emulator.snapshot()["stores"][initialized.store_id]["orders"][str(order.pk)]
    assert remote["promos"] == [{"code": "spring10", "amount_discounted": 5.0, "type": "fixed"}]
    assert remote["discount_total"] == 5.0
    code = rules(emulator, initialized)[str(campaign.pk)]["promo_codes"][str(campaign.coupon.pk)]
    assert code["usage_count"] == 1


@pytest.mark.django_db
def test_an_order_without_codes_sends_no_promos(initialized, emulator):
    product = factories.create_product("plain-sku", shop=initialized.shop, supplier=factories.get_default_supplier(),
                                       default_price=20)
    contact = get_person_contact(factories.create_random_user())
    contact.email = "plain@mailbox.org"
    contact.save()
    order = factories.create_random_order(customer=contact, products=[product], shop=initialized.shop,
                                          random_products=False)
    from shuup_mailchimp.sync.payloads import order_payload

    assert emulator.snapshot()["stores"][initialized.store_id]["orders"][str(order.pk)]["promos"] == []
    # No key at all: orders sent before promo codes existed keep their fingerprints (no resend).
    assert "promos" not in order_payload(order, {"id": str(contact.pk)})


@pytest.mark.django_db
def test_deactivating_the_campaign_disables_the_code_and_editing_updates_it(initialized, emulator):
    campaign = discount_campaign(initialized.shop, amount=5)
    effect = campaign.discount_effects.first()
    effect.discount_amount = Decimal(7)
    effect.save()
    assert rules(emulator, initialized)[str(campaign.pk)]["amount"] == 7.0
    campaign.active = False
    campaign.save()
    rule = rules(emulator, initialized)[str(campaign.pk)]
    assert rule["enabled"] is False and rule["promo_codes"][str(campaign.coupon.pk)]["enabled"] is False
    campaign.coupon.code = "SUMMER10"
    campaign.coupon.save()
    assert rules(emulator, initialized)[str(campaign.pk)]["promo_codes"][str(campaign.coupon.pk)]["code"] == "SUMMER10"


@pytest.mark.django_db
def test_a_campaign_that_ends_by_its_date_is_disabled_by_the_periodic_check(initialized, emulator):
    campaign = discount_campaign(initialized.shop, amount=5, end_datetime=timezone.now() + timedelta(hours=1))
    rule = rules(emulator, initialized)[str(campaign.pk)]
    assert rule["enabled"] is True and rule["ends_at"]
    assert promos.record_availability_changes() == []  # nothing changed yet
    BasketCampaign.objects.filter(pk=campaign.pk).update(end_datetime=timezone.now() - timedelta(minutes=1))
    assert len(promos.record_availability_changes()) == 1  # the clock passed the end: no save told us
    process_due(shop_id=initialized.shop_id)
    assert rules(emulator, initialized)[str(campaign.pk)]["enabled"] is False


@pytest.mark.django_db
def test_deleting_the_campaign_deletes_its_rule_and_code(initialized, emulator):
    campaign = discount_campaign(initialized.shop, amount=5)
    campaign_id = campaign.pk
    assert str(campaign_id) in rules(emulator, initialized)
    campaign.delete()
    assert str(campaign_id) not in rules(emulator, initialized)
    assert MailchimpSyncItem.objects.get(kind=SyncKind.PROMO, object_id=campaign_id).note.startswith(
        "promo rule deleted")


@pytest.mark.django_db
def test_a_replaced_coupon_replaces_the_code(initialized, emulator):
    campaign = discount_campaign(initialized.shop, amount=5)
    old = campaign.coupon
    campaign.coupon = Coupon.objects.create(code="SPRING11", active=True, shop=initialized.shop)
    campaign.save()
    codes = rules(emulator, initialized)[str(campaign.pk)]["promo_codes"]
    assert list(codes) == [str(campaign.coupon.pk)] and str(old.pk) not in codes


@pytest.mark.django_db
def test_the_emulator_keeps_codes_unique_per_rule(initialized, emulator):
    from shuup_mailchimp.client import client_for
    from shuup_mailchimp.client import promos as api
    from shuup_mailchimp.exceptions import MailchimpAPIError

    client = client_for(initialized, log=False)
    store = initialized.store_id
    api.create_rule(client, store, {"id": "r1", "description": "d", "amount": 1, "type": "fixed", "target": "total"})
    api.create_code(client, store, "r1", {"id": "c1", "code": "ABC", "redemption_url": "https://x.example/"})
    with pytest.raises(MailchimpAPIError) as duplicate:
        api.create_code(client, store, "r1", {"id": "c2", "code": "abc", "redemption_url": "https://x.example/"})
    assert duplicate.value.status == 400
    api.create_code(client, store, "r1", {"id": "c3", "code": "XYZ", "redemption_url": "https://x.example/"})
    with pytest.raises(MailchimpAPIError):
        api.update_code(client, store, "r1", "c3", {"code": "ABC"})
    with pytest.raises(MailchimpAPIError) as bad_rule:
        api.create_rule(client, store, {"id": "r2", "description": "d", "amount": 5, "type": "percentage",
                                        "target": "total"})
    assert bad_rule.value.status == 400  # a percentage is 0..1


@pytest.mark.django_db
def test_campaigns_made_before_the_store_are_sent_when_it_is_initialized(shop_settings, emulator):
    from shuup_mailchimp.sync.store import initialize_store

    shop_settings.enabled = False
    shop_settings.save()
    campaign = discount_campaign(shop_settings.shop, amount=3)  # made before the integration was on
    assert not MailchimpSyncItem.objects.filter(kind=SyncKind.PROMO).exists()
    shop_settings.enabled = True
    shop_settings.save()
    initialize_store(shop_settings)
    shop_settings.refresh_from_db()
    process_due(shop_id=shop_settings.shop_id)
    assert str(campaign.pk) in rules(emulator, shop_settings)
