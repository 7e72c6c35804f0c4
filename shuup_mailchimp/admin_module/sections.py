"""The "Mailchimp" section of a contact's page in the admin (``admin_contact_section``).

Per shop the user may see where Mailchimp is set up: the member's status in Mailchimp and why
(from the item's ``state``: the consent sent, an opt-out made in Mailchimp, a permanent
deletion), the contact group interests, the eCommerce customer id, the last sync, the last
error in words, and Resend (a POST that only queues).
"""
from dataclasses import dataclass
from typing import List, Optional

from django.utils.translation import ugettext as _
from django.utils.translation import ugettext_lazy
from shuup.admin.base import Section
from shuup.utils.django_compat import reverse

from shuup_mailchimp.admin_module import access
from shuup_mailchimp.admin_module.explain import Explanation, explain_item, note_text
from shuup_mailchimp.admin_module.health import last_sent_at
from shuup_mailchimp.admin_module.views.base import settings_url
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync.interests import group_name, known_interest_ids

MEMBER_STATUSES = {
    "subscribed": ugettext_lazy("subscribed"),
    "unsubscribed": ugettext_lazy("unsubscribed"),
    "transactional": ugettext_lazy("transactional (orders only, no marketing email)"),
    "pending": ugettext_lazy("pending (waiting for the person to confirm)"),
    "cleaned": ugettext_lazy("cleaned (the address bounced)"),
    "archived": ugettext_lazy("archived"),
}


@dataclass
class ShopStatus:
    shop: object
    settings: MailchimpShopSettings
    item: Optional[MailchimpSyncItem]
    member_status: str
    source: str
    interests: List[str]
    customer_id: str
    email: str
    note: str
    explained: Optional[Explanation]
    last_sent_at: Optional[object]
    item_url: str
    settings_url: str
    queue_url: str
    resend_url: str


def _source(state, contact) -> str:
    """Where the member's status comes from, in words."""
    if state.get("forgotten"):
        return _("The address was permanently deleted in Mailchimp; nothing is sent for it again.")
    if state.get("opted_out") and state.get("consent_source") == "webhook":
        return _("The person unsubscribed in Mailchimp (received by webhook on %(when)s): their marketing "
                 "permission in Shuup was withdrawn, and the shop does not subscribe them again.") % {
            "when": (state.get("consent_changed_on") or "")[:16].replace("T", " ")}
    if state.get("opted_out") and state.get("consent_source") == "reconcile":
        return _("The person unsubscribed in Mailchimp (or the address bounced): found by mailchimp_reconcile on "
                 "%(when)s, which withdrew their marketing permission in Shuup; the shop does not subscribe them "
                 "again.") % {"when": (state.get("consent_changed_on") or "")[:16].replace("T", " ")}
    if state.get("opted_out"):
        return _("The person unsubscribed in Mailchimp (or the address bounced); the shop does not subscribe "
                 "them again.")
    if state.get("permission"):
        return _("From the contact's marketing permission in Shuup (given).")
    if state.get("permission") is False:
        return _("From the contact's marketing permission in Shuup (not given): kept as a customer for orders "
                 "only.")
    return ""


def statuses_for(contact, request) -> List[ShopStatus]:
    shops = access.visible_shops(request.user)
    settings_rows = {s.shop_id: s for s in MailchimpShopSettings.objects.filter(shop__in=shops).select_related("shop")}
    items = {i.shop_id: i for i in MailchimpSyncItem.objects.filter(
        shop_id__in=list(settings_rows), kind=SyncKind.CONTACT, object_id=contact.pk)}
    out = []
    for shop_id, shop_settings in sorted(settings_rows.items()):
        if not shop_settings.is_configured and shop_id not in items:
            continue
        item = items.get(shop_id)
        state = (item.state if item else None) or {}
        interest_ids = known_interest_ids(shop_id)
        groups = contact.groups.filter(pk__in=list(interest_ids))
        shop = shop_settings.shop
        out.append(ShopStatus(
            shop=shop, settings=shop_settings, item=item,
            member_status=str(MEMBER_STATUSES.get(state.get("member_status"), state.get("member_status") or "")),
            source=_source(state, contact),
            interests=[group_name(g) for g in groups],
            customer_id=state.get("customer_id") or (item.remote_id if item else ""),
            email=state.get("email", ""),
            note=note_text(item.note) if item else "",
            explained=explain_item(item) if item and (item.last_error_title or item.last_error_detail) else None,
            last_sent_at=last_sent_at(item) if item else None,
            item_url=reverse("shuup_admin:shuup_mailchimp.sync_item", kwargs={"shop_pk": shop.pk, "pk": item.pk})
            if item else "",
            settings_url=settings_url(shop),
            queue_url=reverse("shuup_admin:shuup_mailchimp.queue_contact", kwargs={"shop_pk": shop.pk}),
            resend_url=reverse("shuup_admin:shuup_mailchimp.resend_failed", kwargs={"shop_pk": shop.pk}),
        ))
    return out


class MailchimpContactSection(Section):
    identifier = "mailchimp"
    name = ugettext_lazy("Mailchimp")
    icon = "fa-envelope"
    template = "shuup_mailchimp/admin/contact_section.jinja"
    order = 20

    @classmethod
    def visible_for_object(cls, contact, request):
        if not contact.pk or not access.can(request, access.CONTACT_STATUS):
            return False
        shops = access.visible_shops(request.user)
        return MailchimpShopSettings.objects.filter(shop__in=shops).exists()

    @classmethod
    def get_context_data(cls, contact, request):
        return {
            "statuses": statuses_for(contact, request),
            "can_resend": access.can(request, access.RESEND),
            "contact": contact,
            "failed": SyncStatus.FAILED,
        }
