"""ContactGroups of a shop <-> interests of the audience's "Contact Group" category.

The group -> interest id mapping lives on the INTEREST outbox items (``remote_id``), so a
deleted group still knows which interest to remove.
"""
from typing import Dict

from django.utils import timezone
from shuup.core.models import ContactGroup

from shuup_mailchimp.client import interests as api
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.exceptions import MailchimpNotFoundError
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync.outbox import Outcome
from shuup_mailchimp.sync.payloads import fingerprint

CATEGORY_TITLE = "Contact Group"


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


def ensure_category(client, shop_settings) -> str:
    """Find or create the category; remember its id on the settings."""
    category = api.find_category(client, shop_settings.audience_id, CATEGORY_TITLE)
    if category is None:
        category = api.create_category(client, shop_settings.audience_id, CATEGORY_TITLE)
    if category["id"] != shop_settings.interest_category_id:
        if shop_settings.interest_category_id:  # recreated in Mailchimp: the old interest ids are gone
            MailchimpSyncItem.objects.filter(shop_id=shop_settings.shop_id, kind=SyncKind.INTEREST).update(
                remote_id="", fingerprint=""
            )
        shop_settings.interest_category_id = category["id"]
        shop_settings.save(update_fields=["interest_category_id", "modified_on"])
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
        remote, known = [], {}
        missing = groups
    by_name = {i["name"]: i["id"] for i in remote}
    for group in missing:
        name = group_name(group)
        interest_id = by_name.get(name)
        if interest_id is None:
            interest_id = api.create_interest(
                client, shop_settings.audience_id, shop_settings.interest_category_id, name
            )["id"]
        _remember(shop_settings.shop_id, group.pk, interest_id, name)
        known[group.pk] = interest_id
    return {g.pk: known[g.pk] for g in groups}


def interest_map(client, shop_settings, contact) -> Dict[str, bool]:
    """The *full* map: every group interest, true where the contact is a member (false clears stale ones)."""
    ids = ensure_interests(client, shop_settings)
    member_of = set(contact.groups.filter(pk__in=list(ids)).values_list("pk", flat=True))
    return {interest_id: group_id in member_of for group_id, interest_id in ids.items()}


def sync_interest(client, shop_settings, item) -> Outcome:
    """One group: create, rename or (when the group is gone) delete its interest."""
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
    name = group_name(group)
    digest = fingerprint(name)
    if item.remote_id and item.fingerprint == digest:
        return Outcome(skipped=True, note="unchanged")
    if item.remote_id:
        try:
            api.rename_interest(client, shop_settings.audience_id, category_id, item.remote_id, name)
            return Outcome(fingerprint=digest, remote_id=item.remote_id, note="renamed")
        except MailchimpNotFoundError:
            pass  # deleted in Mailchimp: create it again below
    ids = ensure_interests(client, shop_settings)
    return Outcome(fingerprint=digest, remote_id=ids.get(group.pk, ""))


def _remember(shop_id, group_id, interest_id, name):
    now = timezone.now()
    MailchimpSyncItem.objects.update_or_create(
        shop_id=shop_id,
        kind=SyncKind.INTEREST,
        object_id=group_id,
        defaults=dict(remote_id=interest_id, fingerprint=fingerprint(name), status=SyncStatus.SYNCED, synced_on=now),
    )
