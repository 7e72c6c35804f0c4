"""The shop's contacts, products and orders, read for the full sync: keyset pages of ids, then
the rows of one page with a fixed number of queries, never one per row.

Contacts are read with ``values()`` into :class:`ContactRow` (a few attributes instead of a
polymorphic model instance with thirty fields); products and orders as model instances with
everything the payload builders touch loaded in bulk (translations, variation children, shop
products, images; order lines with their products and taxes).
"""
import json
from collections import defaultdict
from types import SimpleNamespace
from typing import Dict, List

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Prefetch, Q
from django.db.models.functions import Coalesce
from shuup.core.models import (
    CompanyContact, Contact, ContactGroup, MutableAddress, Order, OrderLine, Product, ShopProduct,
)

from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync.payloads import image_url

ADDRESS_FIELDS = ("id", "street", "street2", "city", "region", "postal_code", "country")


class ContactRow:
    """The attributes of a Contact the payload builders read (see ``payloads.contact_names``)."""

    __slots__ = ("pk", "email", "marketing_permission", "name", "first_name", "last_name", "is_company", "language",
                 "default_billing_address")

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))


def shop_contacts(shop_id):
    return Contact.objects.filter(Q(shops=shop_id) | Q(registration_shop_id=shop_id))


def shop_parents(shop_id):
    """The shop's products as the outbox keys them: variation parents (or the product itself)."""
    return ShopProduct.objects.filter(shop_id=shop_id).annotate(
        parent=Coalesce(F("product__variation_parent_id"), F("product_id")))


def shop_orders(shop_id, since=None):
    orders = Order.objects.filter(shop_id=shop_id)
    return orders.filter(order_date__gte=since) if since else orders


def count(kind: SyncKind, shop_id: int, since=None) -> int:
    if kind == SyncKind.CONTACT:
        return shop_contacts(shop_id).values("pk").distinct().count()
    if kind == SyncKind.PRODUCT:
        return shop_parents(shop_id).values("parent").distinct().count()
    return shop_orders(shop_id, since).count()


def next_ids(kind: SyncKind, shop_id: int, after: int, limit: int, since=None) -> List[int]:
    """The next ``limit`` object ids after ``after`` (keyset pagination: no OFFSET, flat cost)."""
    if kind == SyncKind.CONTACT:
        qs = shop_contacts(shop_id).filter(pk__gt=after).order_by("pk").values_list("pk", flat=True).distinct()
    elif kind == SyncKind.PRODUCT:
        qs = shop_parents(shop_id).filter(parent__gt=after).order_by("parent").values_list("parent", flat=True)
        qs = qs.distinct()
    else:
        qs = shop_orders(shop_id, since).filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
    return list(qs[:limit])


def items(shop_id: int, kind: SyncKind, object_ids) -> Dict[int, dict]:
    """{object id: the item's version, status, fingerprint, state, ...} (read before the Shuup rows)."""
    rows = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=kind, object_id__in=list(object_ids)).values(
        "object_id", "version", "status", "fingerprint", "synced_on", "state", "claimed_until", "claim_token",
        "remote_id")
    found = {}
    for row in rows:
        if isinstance(row["state"], str):
            row["state"] = json.loads(row["state"] or "{}")
        found[row["object_id"]] = row
    return found


def erased(shop_id: int, contact_ids) -> set:
    """Contacts whose erasure was requested (GDPR): nothing of theirs is sent."""
    kind = getattr(SyncKind, "ERASURE", None)
    if kind is None:
        return set()
    return set(MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=kind, object_id__in=list(contact_ids))
               .values_list("object_id", flat=True))


def default_language() -> str:
    """What ``Contact.language`` answers for a contact without one (read once per run)."""
    from shuup import configuration

    return configuration.get(None, "default_contact_language", settings.LANGUAGE_CODE)


def contact_rows(contact_ids, language: str) -> Dict[int, ContactRow]:
    """{contact id: ContactRow} in three queries (contacts, person names, billing addresses)."""
    company_type = ContentType.objects.get_for_model(CompanyContact).pk
    values = list(Contact.objects.non_polymorphic().filter(pk__in=list(contact_ids)).values(
        "pk", "polymorphic_ctype_id", "email", "marketing_permission", "name", "_language",
        "default_billing_address_id", "personcontact__first_name", "personcontact__last_name",
        "personcontact__pk"))
    address_ids = {v["default_billing_address_id"] for v in values if v["default_billing_address_id"]}
    addresses = {a["id"]: SimpleNamespace(**a) for a in MutableAddress.objects.filter(pk__in=address_ids)
                 .values(*ADDRESS_FIELDS)} if address_ids else {}
    rows = {}
    for v in values:
        is_person = v["personcontact__pk"] is not None
        first, last = (v["personcontact__first_name"] or "", v["personcontact__last_name"] or "") if is_person \
            else ("", "")
        rows[v["pk"]] = ContactRow(
            pk=v["pk"], email=v["email"], marketing_permission=v["marketing_permission"],
            # PersonContact.name is its first and last name; other contacts keep theirs in the column
            name=" ".join(x for x in (first, last) if x) if is_person else v["name"],
            first_name=first, last_name=last, is_company=v["polymorphic_ctype_id"] == company_type,
            language=v["_language"] if v["_language"] is not None else language,
            default_billing_address=addresses.get(v["default_billing_address_id"]),
        )
    return rows


def group_memberships(contact_ids, group_ids) -> Dict[int, set]:
    """{contact id: ids of the given groups it belongs to}, in one query."""
    through = ContactGroup.members.through
    found = defaultdict(set)
    if group_ids:
        for contact_id, group_id in through.objects.filter(
                contact_id__in=list(contact_ids), contactgroup_id__in=list(group_ids)).values_list(
                "contact_id", "contactgroup_id"):
            found[contact_id].add(group_id)
    return found


def product_families(parent_ids, shop):
    """{parent id: (parent, children, shop products, image urls)} for ``payloads.product_body``:
    four queries for the whole page, whatever its size."""
    related = ("primary_image__file",)
    parents = {p.pk: p for p in Product.objects.filter(pk__in=list(parent_ids)).select_related(*related)
               .prefetch_related("translations")}
    children = defaultdict(list)
    # Product's default ordering (newest first), as parent.variation_children.all() gives them.
    for child in Product.objects.filter(variation_parent_id__in=list(parents)).select_related(*related) \
            .prefetch_related("translations"):
        children[child.variation_parent_id].append(child)
    family_ids = list(parents) + [c.pk for group in children.values() for c in group]
    shop_products = {}
    for ids in _chunks(family_ids):
        for sp in ShopProduct.objects.filter(shop=shop, product_id__in=ids).values(
                "product_id", "visibility", "default_price_value"):
            shop_products[sp["product_id"]] = SimpleNamespace(**sp)
    families = {}
    for parent_id, parent in parents.items():
        kids = children.get(parent_id, [])
        images = {p.pk: image_url(p, shop) for p in [parent] + kids}
        families[parent_id] = (parent, kids, shop_products, images)
    return families


def orders(order_ids) -> List[Order]:
    """The orders with their status, billing address and every line (products and taxes loaded)."""
    lines = OrderLine.objects.select_related("product").prefetch_related("taxes")
    related = ["status", "billing_address"]
    if any(f.name == "mailchimp_attribution" for f in Order._meta.get_fields()):
        related.append("mailchimp_attribution")  # the campaign an order came from (attribution.py)
    return list(Order.objects.filter(pk__in=list(order_ids)).order_by("pk").select_related(*related)
                .prefetch_related(Prefetch("lines", queryset=lines)))


def order_customer_ids(order_list) -> List[int]:
    return sorted({o.customer_id for o in order_list if o.customer_id})


def _chunks(values, size=500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]
