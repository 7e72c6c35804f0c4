"""Signal receivers: they only record work in the outbox and schedule it after commit.

No receiver ever calls Mailchimp, so a shop request never waits on (or fails because of)
Mailchimp. Every connection has a ``dispatch_uid``.
"""
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from shuup.core.models import (
    CompanyContact,
    Contact,
    ContactGroup,
    MutableAddress,
    Order,
    PersonContact,
    Product,
    ShopProduct,
)
from shuup.core.order_creator.signals import order_creator_finished
from shuup.core.signals import order_status_changed, payment_created, refund_created, shipment_created, shipment_sent

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.attribution import remember_order_campaign
from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpTaggedGroup
from shuup_mailchimp.sync import outbox


def _schedule(keys, then=None):
    """After commit, have these items sent (``tasks.schedule``); ``then()`` once a run is known to come."""
    if keys:
        # Imported here: it needs Celery's app, which loads after the apps. (The package import, not
        # "from ...tasks import schedule", which asks the tasks module's __getattr__ for __path__.)
        from shuup_mailchimp import tasks

        transaction.on_commit(lambda: tasks.schedule(keys) and then is not None and then())


def record_contacts(contact_ids, shop_ids=None):
    """Record CONTACT work for these contacts in every active shop they belong to (or in ``shop_ids``)."""
    active = outbox.active_shop_ids()
    if not active or not contact_ids:
        return []
    if shop_ids is not None:
        active = active & set(shop_ids)
    pairs = set(
        Contact.shops.through.objects.filter(contact_id__in=contact_ids, shop_id__in=active).values_list(
            "contact_id", "shop_id"
        )
    )
    pairs |= set(
        Contact.objects.filter(pk__in=contact_ids, registration_shop__in=active).values_list(
            "pk", "registration_shop_id"
        )
    )
    keys = []
    for contact_id, shop_id in pairs:
        keys += outbox.record([shop_id], SyncKind.CONTACT, contact_id)
    _schedule(keys)
    return keys


def contact_saved(sender, instance, raw=False, created=False, **kwargs):
    if raw:
        return
    active = outbox.active_shop_ids()
    if not active:
        return
    if created:  # a contact joins a shop through Contact.shops (recorded there) or a full sync
        record_contacts([instance.pk])
        return
    # The hot path (every contact save): a contact already known in its shops is one UPDATE, and
    # during a burst of saves not even a schedule (the run scheduled by its first save takes it).
    if outbox.bump_if_run_coming(active, SyncKind.CONTACT, instance.pk):
        return
    contact_id = instance.pk
    keys = outbox.touch_all(active, SyncKind.CONTACT, contact_id)
    if keys:
        _schedule(keys, then=lambda: outbox.remember_run_scheduled(
            active, SyncKind.CONTACT, contact_id, app_settings.TASK_COUNTDOWN or 0))
    else:
        record_contacts([contact_id])


def address_saved(sender, instance, raw=False, created=False, **kwargs):
    """A contact's default address edited in place (their address book): the customer follows."""
    if raw or created or not outbox.active_shop_ids():
        return
    from django.db.models import Q

    contact_ids = list(Contact.objects.filter(
        Q(default_billing_address_id=instance.pk) | Q(default_shipping_address_id=instance.pk)
    ).values_list("pk", flat=True))
    if contact_ids:
        record_contacts(contact_ids)


def settings_changed(sender, instance=None, **kwargs):
    outbox.forget_active_shops()
    # Switched on again: changes recorded before it was switched off, which a run then failed for
    # it ("switched off or incomplete"), go out. (Changes made while it was off were not recorded.)
    if kwargs.get("signal") is post_save and instance is not None and instance.is_active:
        _schedule(outbox.requeue_switched_off(instance.shop_id))


def contact_shops_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "post_add" or not pk_set:
        return
    if reverse:  # shop.contact_set.add(...)
        record_contacts(list(pk_set), shop_ids={instance.pk})
    else:  # contact.shops.add(...)
        record_contacts([instance.pk], shop_ids=set(pk_set))


def group_members_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear":
        # After the clear nobody can tell who left: remember them now.
        if reverse:
            instance._mailchimp_cleared = list(instance.groups.filter(shop__isnull=False).values_list("pk", flat=True))
        else:
            instance._mailchimp_cleared = list(instance.members.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # contact.groups.add(group...): instance is the contact
        record_contacts([instance.pk])
        record_group_tags(list(pk_set or getattr(instance, "_mailchimp_cleared", [])))
        return
    if instance.shop_id is None:  # Shuup's global default groups are not interests
        return
    contact_ids = list(pk_set or getattr(instance, "_mailchimp_cleared", []))
    record_contacts(contact_ids, shop_ids={instance.shop_id})
    record_group_tags([instance.pk])


def record_group_tags(group_ids):
    """SEGMENT work for those of these groups that their (active) shop keeps as a Mailchimp tag."""
    active = outbox.active_shop_ids()
    if not active or not group_ids:
        return
    keys = []
    for shop_id, group_id in MailchimpTaggedGroup.objects.filter(
            group_id__in=list(group_ids), shop_id__in=active).values_list("shop_id", "group_id"):
        keys += outbox.record([shop_id], SyncKind.SEGMENT, group_id)
    _schedule(keys)


def tagged_group_changed(sender, instance, raw=False, **kwargs):
    """A group chosen (or no longer chosen, or deleted) as a Mailchimp tag on the segments page."""
    if not raw and instance.shop_id in outbox.active_shop_ids():
        _schedule(outbox.record([instance.shop_id], SyncKind.SEGMENT, instance.group_id))


def group_saved(sender, instance, raw=False, **kwargs):
    if raw or instance.shop_id is None or instance.shop_id not in outbox.active_shop_ids():
        return
    keys = outbox.record([instance.shop_id], SyncKind.INTEREST, instance.pk)
    _schedule(keys + outbox.touch(instance.shop_id, SyncKind.SEGMENT, instance.pk))  # its tag is renamed too


def group_translation_saved(sender, instance, raw=False, **kwargs):
    # parler saves the name after the group itself: a rename (or a new group's name) lands here.
    if not raw:
        group_saved(ContactGroup, instance.master, raw=raw)


def group_deleting(sender, instance, **kwargs):
    instance._mailchimp_shop_id = instance.shop_id


def group_deleted(sender, instance, **kwargs):
    shop_id = getattr(instance, "_mailchimp_shop_id", instance.shop_id)
    if shop_id is None or shop_id not in outbox.active_shop_ids():
        return
    keys = outbox.record([shop_id], SyncKind.INTEREST, instance.pk)
    _schedule(keys + outbox.touch(shop_id, SyncKind.SEGMENT, instance.pk))  # its tag is removed too


def order_changed(sender, order, **kwargs):
    if order.shop_id in outbox.active_shop_ids():
        _schedule(outbox.record([order.shop_id], SyncKind.ORDER, order.pk))


def order_saved(sender, instance, raw=False, created=False, **kwargs):
    # New orders wait for order_creator_finished (their lines exist by then); a later save of an
    # order already known to Mailchimp (cancel, edit, payment) updates it.
    if raw or created or instance.shop_id not in outbox.active_shop_ids():
        return
    _schedule(outbox.touch(instance.shop_id, SyncKind.ORDER, instance.pk))


def product_changed(sender, instance, raw=False, **kwargs):
    """Name, price, image, variants or visibility of a product changed: its Mailchimp product follows.

    The Mailchimp product is the variation parent, so a child's change records the parent.
    """
    if raw:
        return
    active = outbox.active_shop_ids()
    if not active:
        return
    if isinstance(instance, ShopProduct):
        product_id, shop_ids = instance.product_id, {instance.shop_id} & active
    else:
        product = getattr(instance, "master", instance)  # a translation (name) row
        product_id = product.pk
        shop_ids = set(ShopProduct.objects.filter(product_id=product_id, shop_id__in=active).values_list(
            "shop_id", flat=True))
    if not shop_ids or not product_id:
        return
    parent_id = Product.objects.filter(pk=product_id).values_list("variation_parent_id", flat=True).first()
    keys = []
    for shop_id in shop_ids:
        keys += outbox.record([shop_id], SyncKind.PRODUCT, parent_id or product_id)
    _schedule(keys)


def contact_anonymized(sender, shop=None, contact=None, **kwargs):
    """GDPR: Shuup anonymized the contact (after saving it with a random email): erase it in Mailchimp."""
    if contact is None:
        return
    from shuup_mailchimp.models import MailchimpSyncItem
    from shuup_mailchimp.sync.erasure import request_erasure

    shops = MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT, object_id=contact.pk).values_list(
        "shop_id", flat=True)
    keys = []
    for shop_id in set(shops):
        keys += request_erasure(shop_id, contact.pk)
    _schedule(keys)


def contact_tags_forgotten(sender, contact=None, **kwargs):
    """GDPR: the tags' record of an anonymized contact goes too (its member is deleted in Mailchimp)."""
    if contact is not None:
        from shuup_mailchimp.sync.segments import forget_contact

        forget_contact(contact.pk)


post_save.connect(address_saved, sender=MutableAddress, dispatch_uid="shuup_mailchimp.address_saved")
post_save.connect(settings_changed, sender=MailchimpShopSettings, dispatch_uid="shuup_mailchimp.settings_saved")
post_delete.connect(settings_changed, sender=MailchimpShopSettings, dispatch_uid="shuup_mailchimp.settings_deleted")
for model in (Contact, PersonContact, CompanyContact):
    post_save.connect(contact_saved, sender=model, dispatch_uid="shuup_mailchimp.contact_saved.%s" % model.__name__)
m2m_changed.connect(contact_shops_changed, sender=Contact.shops.through, dispatch_uid="shuup_mailchimp.contact_shops")
m2m_changed.connect(group_members_changed, sender=ContactGroup.members.through, dispatch_uid="shuup_mailchimp.members")
post_save.connect(group_saved, sender=ContactGroup, dispatch_uid="shuup_mailchimp.group_saved")
post_save.connect(
    group_translation_saved,
    sender=ContactGroup._parler_meta.root_model,
    dispatch_uid="shuup_mailchimp.group_translation_saved",
)
pre_delete.connect(group_deleting, sender=ContactGroup, dispatch_uid="shuup_mailchimp.group_deleting")
post_delete.connect(group_deleted, sender=ContactGroup, dispatch_uid="shuup_mailchimp.group_deleted")
post_save.connect(order_saved, sender=Order, dispatch_uid="shuup_mailchimp.order_saved")
for signal in (post_save, post_delete):
    signal.connect(tagged_group_changed, sender=MailchimpTaggedGroup,
                   dispatch_uid="shuup_mailchimp.tagged_group_%s" % ("saved" if signal is post_save else "deleted"))
for model, name in ((Product, "product"), (Product._parler_meta.root_model, "product_name"), (ShopProduct, "shop_product")):
    post_save.connect(product_changed, sender=model, dispatch_uid="shuup_mailchimp.%s_saved" % name)
# The visit's Mailchimp campaign is stored on the order first, so the order's first send carries it.
order_creator_finished.connect(remember_order_campaign, dispatch_uid="shuup_mailchimp.order_campaign")
order_creator_finished.connect(order_changed, dispatch_uid="shuup_mailchimp.order_created")
for signal, name in (
    (order_status_changed, "status"),
    (payment_created, "payment"),
    (refund_created, "refund"),
    (shipment_created, "shipment"),
    (shipment_sent, "shipment_sent"),
):
    signal.connect(order_changed, dispatch_uid="shuup_mailchimp.order_%s" % name)

try:
    from shuup.gdpr.signals import anonymization_requested
except ImportError:  # shuup.gdpr not installed
    anonymization_requested = None
if anonymization_requested is not None:
    anonymization_requested.connect(contact_anonymized, dispatch_uid="shuup_mailchimp.contact_anonymized")
    anonymization_requested.connect(contact_tags_forgotten, dispatch_uid="shuup_mailchimp.contact_tags_forgotten")


# Commerce automations: baskets -> carts, campaigns and coupons -> promo codes, registration sign-ups.
# Each records work only (one indexed write per object); sync/carts.py, sync/promos.py and
# sync/signup.py do the rest in the worker.

def basket_saved(sender, instance, raw=False, **kwargs):
    """A stored basket changed: its cart is due once the basket is idle, or due now when it closed."""
    if raw or instance.shop_id not in outbox.active_shop_ids():
        return
    from shuup_mailchimp.sync.carts import record_basket

    _schedule(record_basket(instance.shop_id, instance))


def campaign_saved(sender, instance, raw=False, **kwargs):
    if not raw and instance.shop_id in outbox.active_shop_ids():
        _schedule(outbox.record([instance.shop_id], SyncKind.PROMO, instance.pk))


def campaign_translation_saved(sender, instance, raw=False, **kwargs):
    # parler saves the public name after the campaign itself: a rename (or a new campaign's name) lands here.
    if not raw:
        campaign_saved(sender, instance.master, raw=raw)


def campaign_deleted(sender, instance, **kwargs):
    if instance.shop_id in outbox.active_shop_ids():  # a promo rule sent before is deleted
        _schedule(outbox.touch(instance.shop_id, SyncKind.PROMO, instance.pk))


def campaign_part_changed(sender, instance, raw=False, **kwargs):
    """A coupon (its code, active flag, limits), a use of it, or a discount effect changed."""
    if raw:
        return
    active = outbox.active_shop_ids()
    if not active:
        return
    from shuup.campaigns.models import BasketCampaign

    from shuup_mailchimp.sync.promos import record_campaign

    if getattr(instance, "campaign_id", None):  # an effect
        campaign_ids = [instance.campaign_id]
    else:
        coupon_id = getattr(instance, "coupon_id", None) or instance.pk  # a use, or the coupon itself
        campaign_ids = list(BasketCampaign.objects.filter(coupon_id=coupon_id).values_list("pk", flat=True))
    _schedule(record_campaign(campaign_ids, active))


def registered(sender, request=None, user=None, contact=None, **kwargs):
    """The registration form's newsletter checkbox (``plugins.RegistrationSignupFields``) was ticked."""
    if request is None or contact is None or not request.POST.get("mailchimp_signup"):
        return
    from shuup_mailchimp.plugins import sign_up_on_registration

    sign_up_on_registration(request, contact)


def _connect_automations():
    from django.apps import apps

    if apps.is_installed("shuup.front"):
        from shuup.front.models import StoredBasket
        from shuup.front.signals import person_registration_save

        post_save.connect(basket_saved, sender=StoredBasket, dispatch_uid="shuup_mailchimp.basket_saved")
        person_registration_save.connect(registered, dispatch_uid="shuup_mailchimp.registration_signup")
    if apps.is_installed("shuup.campaigns"):
        from shuup.campaigns.models import BasketCampaign, BasketDiscountEffect, BasketLineEffect, Coupon
        from shuup.campaigns.models.campaigns import CouponUsage

        post_save.connect(campaign_saved, sender=BasketCampaign, dispatch_uid="shuup_mailchimp.campaign_saved")
        post_save.connect(campaign_translation_saved, sender=BasketCampaign._parler_meta.root_model,
                          dispatch_uid="shuup_mailchimp.campaign_translation_saved")
        post_delete.connect(campaign_deleted, sender=BasketCampaign, dispatch_uid="shuup_mailchimp.campaign_deleted")
        parts = [Coupon, CouponUsage] + _subclasses(BasketDiscountEffect) + _subclasses(BasketLineEffect)
        for model in parts:
            for signal, verb in ((post_save, "saved"), (post_delete, "deleted")):
                signal.connect(campaign_part_changed, sender=model,
                               dispatch_uid="shuup_mailchimp.promo_%s_%s" % (model.__name__, verb))


def _subclasses(model):
    """The concrete (polymorphic) effect models: signals name the concrete class as sender."""
    found = []
    for sub in model.__subclasses__():
        if not sub._meta.abstract and not sub._meta.proxy:
            found.append(sub)
        found += _subclasses(sub)
    return found


_connect_automations()
