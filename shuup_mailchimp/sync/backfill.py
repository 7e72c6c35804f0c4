"""Record work for everything a shop already has (groups, contacts, products, orders).

Used when a new eCommerce store is created (it holds nothing): the one-by-one sync then sends it
all. ``mailchimp_sync --full`` (``--all`` is its alias) sends a whole shop in batches instead
(``sync/fullsync``).
"""
from django.db.models import F
from django.db.models.functions import Coalesce
from shuup.core.models import Contact, Order, ShopProduct

from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.interests import shop_groups


def record_everything(shop_id) -> dict:
    counts = {}
    contacts = Contact.objects.filter(shops=shop_id) | Contact.objects.filter(registration_shop_id=shop_id)
    products = ShopProduct.objects.filter(shop_id=shop_id).annotate(
        parent=Coalesce(F("product__variation_parent_id"), F("product_id"))
    )
    sources = (
        ("groups", SyncKind.INTEREST, shop_groups(shop_id).values_list("pk", flat=True)),
        ("contacts", SyncKind.CONTACT, contacts.distinct().values_list("pk", flat=True)),
        ("products", SyncKind.PRODUCT, products.order_by().values_list("parent", flat=True).distinct()),
        ("orders", SyncKind.ORDER, Order.objects.filter(shop_id=shop_id).values_list("pk", flat=True)),
    )
    for name, kind, ids in sources:
        counts[name] = 0
        for object_id in ids:
            outbox.record([shop_id], kind, object_id)
            counts[name] += 1
    return counts
