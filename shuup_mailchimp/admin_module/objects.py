"""The Shuup object behind a sync item: its name, email or identifier, and its admin page.

Loaded for a page of items at once (one query per kind), never one query per row.
"""
from dataclasses import dataclass
from typing import Dict, Iterable, Tuple

from django.db.models import Q
from django.utils.translation import ugettext as _
from shuup.admin.utils.urls import NoModelUrl, get_model_url
from shuup.core.models import Contact, ContactGroup, Order, Product

from shuup_mailchimp.enums import SyncKind

#: Which Shuup model each kind's ``object_id`` points at. Kinds added later fall back to "#id".
MODELS = {
    SyncKind.CONTACT: Contact,
    SyncKind.INTEREST: ContactGroup,
    SyncKind.PRODUCT: Product,
    SyncKind.ORDER: Order,
}
if hasattr(SyncKind, "ERASURE"):
    MODELS[SyncKind.ERASURE] = Contact
if hasattr(SyncKind, "SEGMENT"):
    MODELS[SyncKind.SEGMENT] = ContactGroup  # a group kept as a Mailchimp tag


@dataclass
class ObjectLabel:
    name: str
    detail: str = ""  #: email, SKU or order identifier
    url: str = ""  #: its admin page, when the user may open it
    exists: bool = True


def _describe(kind, obj) -> Tuple[str, str]:
    model = MODELS.get(kind)
    if model is Contact:
        return obj.name or _("(no name)"), obj.email or _("no email address")
    if model is ContactGroup:
        return obj.safe_translation_getter("name", any_language=True) or obj.identifier or str(obj.pk), ""
    if model is Product:
        return obj.safe_translation_getter("name", any_language=True) or obj.sku, obj.sku
    if model is Order:
        return _("Order %s") % obj.identifier, obj.email or ""
    return str(obj), ""


def labels_for(items: Iterable, user=None, shop=None) -> Dict[tuple, ObjectLabel]:
    """{(kind, object_id): ObjectLabel} for these items."""
    wanted: Dict[SyncKind, set] = {}
    for item in items:
        wanted.setdefault(item.kind, set()).add(item.object_id)
    out = {}
    for kind, ids in wanted.items():
        model = MODELS.get(kind)
        found = {o.pk: o for o in model.objects.filter(pk__in=ids)} if model else {}
        for object_id in ids:
            obj = found.get(object_id)
            if obj is None:
                out[(kind, object_id)] = ObjectLabel(_("#%(id)s (deleted in Shuup)") % {"id": object_id}
                                                     if model else "#%s" % object_id, exists=False)
                continue
            name, detail = _describe(kind, obj)
            out[(kind, object_id)] = ObjectLabel(name, detail, admin_url(obj, user, shop))
    return out


def label_for(item, user=None, shop=None) -> ObjectLabel:
    return labels_for([item], user, shop)[(item.kind, item.object_id)]


def admin_url(obj, user=None, shop=None) -> str:
    try:
        return get_model_url(obj, user=user, shop=shop) or ""
    except NoModelUrl:
        return ""


def matching_objects(text: str) -> Q:
    """A filter on sync items whose object's name, email, SKU or identifier contains ``text``."""
    text = (text or "").strip()
    if not text:
        return Q()
    query = Q(pk__in=[])
    if text.isdigit():
        query |= Q(object_id=int(text))
    contacts = Contact.objects.filter(Q(name__icontains=text) | Q(email__icontains=text)).values_list("pk", flat=True)
    contact_kinds = [k for k, m in MODELS.items() if m is Contact]
    query |= Q(kind__in=contact_kinds, object_id__in=list(contacts[:1000]))
    groups = ContactGroup.objects.filter(translations__name__icontains=text).values_list("pk", flat=True)
    query |= Q(kind=SyncKind.INTEREST, object_id__in=list(groups[:1000]))
    products = Product.objects.filter(Q(sku__icontains=text) | Q(translations__name__icontains=text))
    query |= Q(kind=SyncKind.PRODUCT, object_id__in=list(products.values_list("pk", flat=True)[:1000]))
    orders = Order.objects.filter(Q(identifier__icontains=text) | Q(email__icontains=text))
    query |= Q(kind=SyncKind.ORDER, object_id__in=list(orders.values_list("pk", flat=True)[:1000]))
    return query
