"""Record work for everything a shop already has (contacts, groups, orders): used by ``mailchimp_sync --all``."""
from shuup.core.models import Contact, Order

from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.interests import shop_groups


def record_everything(shop_id) -> dict:
    counts = {"groups": 0, "contacts": 0, "orders": 0}
    for group_id in shop_groups(shop_id).values_list("pk", flat=True):
        outbox.record([shop_id], SyncKind.INTEREST, group_id)
        counts["groups"] += 1
    contacts = Contact.objects.filter(shops=shop_id) | Contact.objects.filter(registration_shop_id=shop_id)
    for contact_id in contacts.distinct().values_list("pk", flat=True):
        outbox.record([shop_id], SyncKind.CONTACT, contact_id)
        counts["contacts"] += 1
    for order_id in Order.objects.filter(shop_id=shop_id).values_list("pk", flat=True):
        outbox.record([shop_id], SyncKind.ORDER, order_id)
        counts["orders"] += 1
    return counts
