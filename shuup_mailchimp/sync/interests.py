"""ContactGroups of a shop <-> interests of the shop's own "Contact Group" category.

Ownership: a shop changes or deletes only what it created. Its category id is kept on its
settings, and each group's interest id on the group's INTEREST outbox item (``remote_id``),
so a deleted group still knows which interest to remove. Shops that share one audience get
one category each (Mailchimp refuses two interests of one name in a category, and a name
match would make shop 2 rename or delete shop 1's interest). Inside its own category a shop
re-adopts interests by name (after a reinstall: they were made by this shop).

An interest deleted in Mailchimp is repaired on the way: a contact write that Mailchimp
refuses with "Invalid interest ID" forgets the ids Mailchimp no longer has, recreates them,
and sends the contact again (:func:`repair_interests`).
"""
import re
from typing import Dict

from shuup.core.models import ContactGroup

from shuup_mailchimp.client import interests as api
from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.exceptions import MailchimpError, MailchimpNotFoundError
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.outbox import Outcome
from shuup_mailchimp.sync.payloads import fingerprint

CATEGORY_TITLE = "Contact Group"
_INVALID_INTEREST = re.compile(r"Invalid interest ID", re.I)


def shop_groups(shop_id):
    """The groups that become interests: the shop's own groups (Shuup's global default groups are left out)."""
    return ContactGroup.objects.filter(shop_id=shop_id).order_by("pk")


def group_name(group) -> str:
    """The group's name in the default language (else any), read from the database.

    Not through parler's cache: a rename reaches us from the translation's post_save,
    before parler has refreshed its cached copy.
    """
    from django.conf import settings

    names = dict(
        ContactGroup._parler_meta.root_model.objects.filter(master_id=group.pk).values_list("language_code", "name")
    )
    default = getattr(settings, "PARLER_DEFAULT_LANGUAGE_CODE", settings.LANGUAGE_CODE)
    name = names.get(default) or next((n for n in names.values() if n), "")
    return str(name or group.identifier or "Group %s" % group.pk)


def interest_name(group) -> str:
    """The group's name, made unique in the shop: Mailchimp refuses two interests of one name in a
    category, so a later group named like an earlier one gets its id added ("VIP (#12)")."""
    name = group_name(group)
    translations = ContactGroup._parler_meta.root_model.objects
    if translations.filter(master__shop_id=group.shop_id, master_id__lt=group.pk, name=name).exists():
        return "%s (#%d)" % (name, group.pk)
    return name


def category_title(shop_settings) -> str:
    """"Contact Group", or "Contact Group (<shop>)" where another shop already owns that one."""
    others = MailchimpShopSettings.objects.filter(audience_id=shop_settings.audience_id).exclude(
        shop_id=shop_settings.shop_id
    )
    if not others.exclude(interest_category_id="").exists():
        return CATEGORY_TITLE
    shop = shop_settings.shop
    return "%s (%s)" % (CATEGORY_TITLE, str(shop.public_name or shop.name or shop.pk).strip()[:40])


def ensure_category(client, shop_settings) -> str:
    """This shop's category: the one it remembers if Mailchimp still has it, else found by title
    (never one another shop of this audience owns) or created. Its id is kept on the settings."""
    categories = api.list_categories(client, shop_settings.audience_id)
    category = next((c for c in categories if c["id"] == shop_settings.interest_category_id), None)
    if category is None:
        taken = set(
            MailchimpShopSettings.objects.filter(audience_id=shop_settings.audience_id)
            .exclude(shop_id=shop_settings.shop_id)
            .exclude(interest_category_id="")
            .values_list("interest_category_id", flat=True)
        )
        title = category_title(shop_settings)
        category = next((c for c in categories if c.get("title") == title and c["id"] not in taken), None)
        if category is None:
            category = api.create_category(client, shop_settings.audience_id, title)
    if category["id"] != shop_settings.interest_category_id:
        if shop_settings.interest_category_id:  # recreated in Mailchimp: the old interest ids are gone
            outbox.forget_remote(shop_settings.shop_id, [SyncKind.INTEREST])
        shop_settings.interest_category_id = category["id"]
        MailchimpShopSettings.objects.filter(pk=shop_settings.pk).update(interest_category_id=category["id"])
    return category["id"]


def known_interest_ids(shop_id) -> Dict[int, str]:
    items = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=SyncKind.INTEREST).exclude(remote_id="")
    return dict(items.values_list("object_id", "remote_id"))


def ensure_interests(client, shop_settings) -> Dict[int, str]:
    """Every group of the shop has an interest: {group id: interest id}. API calls only for missing ones."""
    known = known_interest_ids(shop_settings.shop_id)
    groups = list(shop_groups(shop_settings.shop_id))
    missing = [g for g in groups if g.pk not in known]
    if not missing:
        return {g.pk: known[g.pk] for g in groups}
    if not shop_settings.interest_category_id:
        ensure_category(client, shop_settings)
    try:
        remote = api.list_interests(client, shop_settings.audience_id, shop_settings.interest_category_id)
    except MailchimpNotFoundError:  # the category was deleted in Mailchimp: make it again
        shop_settings.interest_category_id = ""
        ensure_category(client, shop_settings)
        remote, known, missing = [], {}, groups
    ours = set(known.values())
    by_name = {i["name"]: i["id"] for i in remote if i["id"] not in ours}
    for group in missing:
        name = interest_name(group)
        interest_id = by_name.pop(name, None)  # this shop's own category: made by us before a reinstall
        if interest_id is None:
            interest_id = api.create_interest(
                client, shop_settings.audience_id, shop_settings.interest_category_id, name
            )["id"]
        outbox.remember_remote(shop_settings.shop_id, SyncKind.INTEREST, group.pk, interest_id, fingerprint(name))
        known[group.pk] = interest_id
    return {g.pk: known[g.pk] for g in groups}


def interest_map(client, shop_settings, contact) -> Dict[str, bool]:
    """The *full* map: every group interest, true where the contact is a member (false clears stale ones)."""
    ids = ensure_interests(client, shop_settings)
    member_of = set(contact.groups.filter(pk__in=list(ids)).values_list("pk", flat=True))
    return {interest_id: group_id in member_of for group_id, interest_id in ids.items()}


def is_invalid_interest(error: MailchimpError) -> bool:
    """Mailchimp's 400 for a member write naming an interest id it does not have."""
    texts = [error.detail] + [str(e.get("message", "")) for e in error.errors if isinstance(e, dict)]
    return error.status == 400 and any(_INVALID_INTEREST.search(t or "") for t in texts)


def repair_interests(client, shop_settings) -> int:
    """Forget the interest ids Mailchimp no longer has (they are made again on the next map).

    Returns how many were forgotten. The category itself is checked too.
    """
    known = known_interest_ids(shop_settings.shop_id)
    try:
        remote = api.list_interests(client, shop_settings.audience_id, shop_settings.interest_category_id)
    except MailchimpNotFoundError:
        shop_settings.interest_category_id = ""
        ensure_category(client, shop_settings)
        return len(known)
    present = {i["id"] for i in remote}
    gone = [interest_id for interest_id in known.values() if interest_id not in present]
    if gone:
        outbox.forget_remote(shop_settings.shop_id, [SyncKind.INTEREST], remote_ids=gone)
    return len(gone)


def sync_interest(client, shop_settings, item) -> Outcome:
    """One group: create, rename or (when the group is gone) delete the interest this shop made."""
    group = ContactGroup.objects.filter(pk=item.object_id, shop_id=shop_settings.shop_id).first()
    if not shop_settings.interest_category_id:
        ensure_category(client, shop_settings)
    category_id = shop_settings.interest_category_id
    if group is None:
        if item.remote_id:
            try:
                api.delete_interest(client, shop_settings.audience_id, category_id, item.remote_id)
            except MailchimpNotFoundError:
                pass
        return Outcome(note="group deleted; interest removed", fingerprint="deleted")
    name = interest_name(group)
    digest = fingerprint(name)
    if item.remote_id and item.fingerprint == digest:
        return Outcome(skipped=True, note="unchanged")
    if item.remote_id:
        try:
            api.rename_interest(client, shop_settings.audience_id, category_id, item.remote_id, name)
            return Outcome(fingerprint=digest, remote_id=item.remote_id, note="renamed")
        except MailchimpNotFoundError:  # deleted in Mailchimp: create it again below
            outbox.forget_remote(shop_settings.shop_id, [SyncKind.INTEREST], remote_ids=[item.remote_id])
    ids = ensure_interests(client, shop_settings)
    return Outcome(fingerprint=digest, remote_id=ids.get(group.pk, ""), note="created")
