"""Contact groups a shop chose -> tags (static segments) of its audience, with exactly their members.

Which groups: a :class:`~shuup_mailchimp.models.MailchimpTaggedGroup` row per (shop, group),
written by the admin's segments page (:func:`choose_groups`); the receivers record the group's
SEGMENT outbox item when the choice, the group's name or its members change.

One SEGMENT item per (shop, group) does everything for that tag (:func:`sync_segment`):

- creates the tag, or adopts one of the same name this shop made before (a reinstall), reading
  its members so strangers in it are removed; renames it with the group; deletes it when the
  group is deleted or no longer chosen (``SHUUP_MAILCHIMP_DELETE_UNCHOSEN_TAGS``; else leaves it);
- sends the difference between the group's members and what this shop put in the tag, kept in
  :class:`~shuup_mailchimp.models.MailchimpSegmentMember` (a mirror written only here, under the
  item's claim): ``POST /lists/{id}/segments/{seg}`` with up to 500 ``members_to_add`` and 500
  ``members_to_remove`` per call, the mirror updated after each call, so a failure half-way
  resumes where it stopped;
- only contacts that are members of the audience can be tagged: those whose CONTACT item put an
  address there (``state["email"]``). Group members whose own sync is still pending are brought up
  to date first (a few per run, as an order's customer is); the rest wait and the item retries.

Ownership, as for interests: a tag's id lives on the item (``remote_id``); a shop never adopts a
tag another shop of the same audience owns, and names its own "<group> (<shop>)" when another
shop already has a tag of the group's name.
"""
import hashlib
import json
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

from django.db import IntegrityError, transaction
from django.db.models import Count
from shuup.core.models import ContactGroup

from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.client import segments as api
from shuup_mailchimp.client.errors import is_already_exists
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.exceptions import MailchimpError, MailchimpNotFoundError, MailchimpTransientError
from shuup_mailchimp.models import (
    MailchimpSegmentMember,
    MailchimpShopSettings,
    MailchimpSyncItem,
    MailchimpTaggedGroup,
)
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.interests import group_name
from shuup_mailchimp.sync.outbox import Outcome
from shuup_mailchimp.sync.payloads import fingerprint

CHUNK = api.MAX_MEMBERS_PER_CALL
#: Group members whose own (pending) sync a SEGMENT item sends first, at most, per run.
BRING_UP_TO_DATE = 50


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


# Choosing -------------------------------------------------------------------------------------------

def chosen_group_ids(shop_id: int) -> set:
    return set(MailchimpTaggedGroup.objects.filter(shop_id=shop_id).values_list("group_id", flat=True))


def choose_groups(shop, group_ids: Iterable[int]) -> Tuple[List[int], List[int]]:
    """Make exactly these groups of the shop its tags; returns (chosen now, no longer chosen).

    The receivers record each changed group's SEGMENT item (a row saved or deleted).
    """
    wanted = set(ContactGroup.objects.filter(shop=shop, pk__in=list(group_ids)).values_list("pk", flat=True))
    current = chosen_group_ids(shop.pk)
    added, removed = sorted(wanted - current), sorted(current - wanted)
    for group_id in added:
        try:
            with transaction.atomic():
                MailchimpTaggedGroup.objects.create(shop=shop, group_id=group_id)
        except IntegrityError:  # chosen by a concurrent request
            pass
    for row in MailchimpTaggedGroup.objects.filter(shop=shop, group_id__in=removed):
        row.delete()  # one by one: post_delete records the group's item
    return added, removed


def record_all(shop_id: int) -> List[tuple]:
    """Queue every chosen group's tag, and every tag of a group no longer chosen ("Sync tags now")."""
    group_ids = chosen_group_ids(shop_id) | set(
        MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=SyncKind.SEGMENT).exclude(remote_id="")
        .values_list("object_id", flat=True))
    keys = []
    for group_id in sorted(group_ids):
        keys += outbox.record([shop_id], SyncKind.SEGMENT, group_id)
    return keys


def refresh_active_shops() -> int:
    """Queue every enabled shop's tags (the daily task). A tag whose group is unchanged costs no
    call; this catches members who joined the audience after their group changed (a contact that
    gained permission, a contact whose own sync failed then was resent). Returns items queued."""
    return sum(len(record_all(shop_id)) for shop_id in outbox.active_shop_ids())


# Naming and ownership -------------------------------------------------------------------------------

def _other_shops(shop_settings):
    return MailchimpShopSettings.objects.filter(audience_id=shop_settings.audience_id).exclude(
        shop_id=shop_settings.shop_id).values_list("shop_id", flat=True)


def _others_tags(shop_settings) -> Tuple[set, set]:
    """(tag ids, tag names) that other shops of this audience own."""
    ids, names = set(), set()
    rows = MailchimpSyncItem.objects.filter(kind=SyncKind.SEGMENT, shop_id__in=list(_other_shops(shop_settings)))
    for remote_id, state in rows.exclude(remote_id="").values_list("remote_id", "state"):
        state = json.loads(state or "{}") if isinstance(state, str) else (state or {})
        ids.add(str(remote_id))
        if state.get("name"):
            names.add(state["name"])
    return ids, names


def tag_name(shop_settings, group) -> str:
    """The group's name; "<name> (<shop>)" when another shop of the audience has a tag of that name."""
    name = group_name(group)[:90]
    _ids, taken = _others_tags(shop_settings)
    if name in taken:
        shop = shop_settings.shop
        name = "%s (%s)" % (name, str(shop.public_name or shop.name or shop.pk).strip()[:40])
    return name


# The handler ---------------------------------------------------------------------------------------

@dataclass
class _Sent:
    added: int = 0
    removed: int = 0
    refused: int = 0
    refused_error: str = ""
    calls: int = 0


def sync_segment(client, shop_settings, item) -> Outcome:
    """One group's tag: created or adopted, renamed, members added and removed, or deleted."""
    shop_id = shop_settings.shop_id
    group = ContactGroup.objects.filter(pk=item.object_id, shop_id=shop_id).first()
    chosen = group is not None and MailchimpTaggedGroup.objects.filter(shop_id=shop_id, group=group).exists()
    if not chosen:
        return _remove_tag(client, shop_settings, item, group)
    name = tag_name(shop_settings, group)
    state = dict(item.state or {})
    with client.about(object_kind="segment", object_id=group.pk):
        try:
            segment_id = _ensure_tag(client, shop_settings, item, state, name)
            desired, waiting = _desired_members(client, shop_settings, group)
            sent = _send_difference(client, shop_settings, group.pk, segment_id, desired, state)
        except MailchimpNotFoundError:  # the tag was deleted in Mailchimp: make it again, send everyone
            _forget_tag(shop_settings, item, state)
            segment_id = _ensure_tag(client, shop_settings, item, state, name)
            desired, waiting = _desired_members(client, shop_settings, group)
            sent = _send_difference(client, shop_settings, group.pk, segment_id, desired, state)
    in_tag = MailchimpSegmentMember.objects.filter(shop_id=shop_id, group_id=group.pk).count()
    state.update(name=name, members=in_tag, waiting=len(waiting), refused=sent.refused,
                 refused_error=sent.refused_error[:200])
    flags = [state.pop("renamed", None), state.pop("created", None)]
    changed = bool(sent.calls or any(flags))
    if waiting:
        outbox.save_state(item, state)
        raise MailchimpTransientError(
            title="Waiting for contacts",
            detail="%d member(s) of the group are not in the audience yet (their own sync is pending); the tag "
                   "follows them after it." % len(waiting))
    note = "tag %r: %d member(s)" % (name, in_tag)
    if sent.added or sent.removed:
        note += ", %d added, %d removed" % (sent.added, sent.removed)
    if sent.refused:
        note += "; Mailchimp refused %d: %s" % (sent.refused, sent.refused_error)
    return Outcome(fingerprint=fingerprint(name), remote_id=segment_id, note=(note if changed else "unchanged: " + note),
                   skipped=not changed, state=state)


def _ensure_tag(client, shop_settings, item, state: dict, name: str) -> str:
    """The tag's id: renamed when the group was; else adopted by name or created. Mutates ``state``."""
    audience_id = shop_settings.audience_id
    segment_id = item.remote_id
    if segment_id:
        if state.get("name") != name:
            api.rename_tag(client, audience_id, segment_id, name)  # a 404 makes the caller start again
            state["renamed"] = True
        if state.get("mirror"):
            return segment_id
        return _adopt(client, shop_settings, item, state, segment_id)
    others, _names = _others_tags(shop_settings)
    existing = next((t for t in api.list_tags(client, audience_id)
                     if t.get("name") == name and str(t["id"]) not in others), None)
    if existing is None:
        try:
            created = api.create_tag(client, audience_id, name)
        except MailchimpError as exc:  # made by an earlier attempt whose answer was lost
            if exc.status != 400 or not (is_already_exists(exc) or "already exists" in exc.describe()):
                raise
            existing = next((t for t in api.list_tags(client, audience_id)
                             if t.get("name") == name and str(t["id"]) not in others), None)
            if existing is None:
                raise
        else:
            segment_id = str(created["id"])
            _remember(shop_settings, item, segment_id, name)
            MailchimpSegmentMember.objects.filter(shop_id=shop_settings.shop_id, group_id=item.object_id).delete()
            state.update(mirror=True, name=name, created=True)
            return segment_id
    segment_id = str(existing["id"])
    _remember(shop_settings, item, segment_id, name)
    state["name"] = name
    return _adopt(client, shop_settings, item, state, segment_id)


def _remember(shop_settings, item, segment_id: str, name: str):
    """Keep the tag's id on the item at once: a failure later in this run must not make another."""
    outbox.remember_remote(shop_settings.shop_id, SyncKind.SEGMENT, item.object_id, segment_id, fingerprint(name))
    item.remote_id = segment_id


def _adopt(client, shop_settings, item, state: dict, segment_id: str) -> str:
    """A tag this shop did not make in this life (or left alone a while): learn who is in it, so
    that the difference sent next is right (strangers removed). The mirror is rebuilt from it."""
    addresses = api.member_addresses(client, shop_settings.audience_id, segment_id)
    by_hash = {subscriber_hash(a): a for a in addresses}
    known = _member_addresses(shop_settings.shop_id)  # {hash: contact id}
    rows = [MailchimpSegmentMember(shop_id=shop_settings.shop_id, group_id=item.object_id, contact_id=known[h],
                                   subscriber_hash=h) for h in by_hash if h in known]
    with transaction.atomic():
        MailchimpSegmentMember.objects.filter(shop_id=shop_settings.shop_id, group_id=item.object_id).delete()
        MailchimpSegmentMember.objects.bulk_create(rows, ignore_conflicts=True)
    state["strangers"] = sorted(a for h, a in by_hash.items() if h not in known)
    state["mirror"] = True
    return segment_id


def _forget_tag(shop_settings, item, state: dict):
    outbox.forget_remote(shop_settings.shop_id, [SyncKind.SEGMENT], remote_ids=[item.remote_id])
    MailchimpSegmentMember.objects.filter(shop_id=shop_settings.shop_id, group_id=item.object_id).delete()
    item.remote_id = ""
    state.clear()


def _remove_tag(client, shop_settings, item, group) -> Outcome:
    why = "group deleted" if group is None else "group no longer kept as a tag"
    mirror = MailchimpSegmentMember.objects.filter(shop_id=shop_settings.shop_id, group_id=item.object_id)
    if not item.remote_id:
        mirror.delete()
        return Outcome(skipped=True, note="%s; no tag in Mailchimp" % why, state={})
    if app_settings.DELETE_UNCHOSEN_TAGS:
        with client.about(object_kind="segment", object_id=item.object_id):
            try:
                api.delete_tag(client, shop_settings.audience_id, item.remote_id)
            except MailchimpNotFoundError:
                pass
        _forget_tag(shop_settings, item, {})
        return Outcome(note="%s; tag deleted in Mailchimp" % why, fingerprint="removed", state={})
    mirror.delete()  # left in Mailchimp as it is; no longer kept up to date (re-choosing adopts it)
    return Outcome(note="%s; tag left in Mailchimp (SHUUP_MAILCHIMP_DELETE_UNCHOSEN_TAGS is off)" % why,
                   fingerprint="left", remote_id=item.remote_id, state={"left": True})


# Who should be in the tag ---------------------------------------------------------------------------

def _contact_states(shop_id: int, contact_ids=None):
    """(contact id, state dict, status) of the shop's CONTACT items (of these contacts)."""
    qs = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=SyncKind.CONTACT)
    if contact_ids is not None:
        qs = qs.filter(object_id__in=contact_ids)
    for object_id, state, status in qs.values_list("object_id", "state", "status").iterator():
        if isinstance(state, str):
            state = json.loads(state or "{}")
        yield object_id, state or {}, SyncStatus(status)


def member_address(state: dict) -> str:
    """The contact's address in the audience, or "" when it is not (or no longer) a member there."""
    if state.get("erased") or state.get("forgotten"):
        return ""
    return (state.get("email") or "").strip()


def _member_addresses(shop_id: int) -> Dict[str, int]:
    """{subscriber hash: contact id} of the shop's contacts that are audience members."""
    out = {}
    for contact_id, state, _status in _contact_states(shop_id):
        email = member_address(state)
        if email:
            out[subscriber_hash(email)] = contact_id
    return out


def _group_member_ids(group):
    return ContactGroup.members.through.objects.filter(contactgroup_id=group.pk).values_list("contact_id", flat=True)


def _desired_members(client, shop_settings, group) -> Tuple[Dict[int, str], List[int]]:
    """({contact id: address} that should be in the tag, [contact ids still waiting for their own sync])."""
    from shuup_mailchimp.sync.contacts import sync_contact
    from shuup_mailchimp.sync.related import bring_up_to_date

    shop_id = shop_settings.shop_id
    desired, waiting = {}, []
    for contact_id, state, status in _contact_states(shop_id, _group_member_ids(group)):
        email = member_address(state)
        if email:
            desired[contact_id] = email
        elif status in (SyncStatus.PENDING, SyncStatus.PROCESSING):
            waiting.append(contact_id)
    still_waiting = []
    for index, contact_id in enumerate(sorted(waiting)):
        if index >= BRING_UP_TO_DATE:  # the rest go with the normal queue; this item retries after them
            still_waiting.append(contact_id)
            continue
        try:
            row = bring_up_to_date(client, shop_settings, SyncKind.CONTACT, contact_id, sync_contact)
        except MailchimpError as exc:
            if exc.is_transient:
                still_waiting.append(contact_id)
            continue  # its own item carries the error; it is not in the audience
        email = member_address(row.state or {})
        if email:
            desired[contact_id] = email
    return desired, still_waiting


def _send_difference(client, shop_settings, group_id: int, segment_id: str, desired: Dict[int, str],
                     state: dict) -> _Sent:
    """Add and remove what differs from the mirror, 500 + 500 per call; the mirror follows each call."""
    shop_id = shop_settings.shop_id
    mirror = dict(MailchimpSegmentMember.objects.filter(shop_id=shop_id, group_id=group_id)
                  .values_list("contact_id", "subscriber_hash"))
    add = [(cid, email) for cid, email in sorted(desired.items()) if mirror.get(cid) != subscriber_hash(email)]
    remove, dropped = [], []
    if any(cid not in desired for cid in mirror):
        current = {cid: member_address(state_) for cid, state_, _s in
                   _contact_states(shop_id, [c for c in mirror if c not in desired])}
        for cid in sorted(c for c in mirror if c not in desired):
            if current.get(cid):
                remove.append((cid, current[cid]))
            else:
                dropped.append(cid)
    strangers = [(None, email) for email in state.pop("strangers", [])]  # in an adopted tag, not in the group
    remove += strangers
    if dropped:  # not a member any more (erased, deleted): nothing of theirs is left to untag
        MailchimpSegmentMember.objects.filter(shop_id=shop_id, group_id=group_id, contact_id__in=dropped).delete()
    sent = _Sent()
    for start in range(0, max(len(add), len(remove)), CHUNK):
        adding, removing = add[start:start + CHUNK], remove[start:start + CHUNK]
        answer = api.update_members(client, shop_settings.audience_id, segment_id,
                                    add=[e for _c, e in adding], remove=[e for _c, e in removing])
        sent.calls += 1
        refused = _refused(answer)
        ok_adds = [(cid, e) for cid, e in adding if e.lower() not in refused]
        with transaction.atomic():
            MailchimpSegmentMember.objects.filter(shop_id=shop_id, group_id=group_id, contact_id__in=[
                c for c, _e in ok_adds + removing if c is not None]).delete()
            MailchimpSegmentMember.objects.bulk_create([
                MailchimpSegmentMember(shop_id=shop_id, group_id=group_id, contact_id=cid,
                                       subscriber_hash=subscriber_hash(email)) for cid, email in ok_adds])
        sent.added += len(ok_adds)
        sent.removed += len(removing)  # refused removals: the address is not in the tag (or the list)
        failed_adds = len(adding) - len(ok_adds)
        if failed_adds:
            sent.refused += failed_adds
            sent.refused_error = sent.refused_error or refused.get(next(
                e.lower() for _c, e in adding if e.lower() in refused), "")
    return sent


def _refused(answer: dict) -> Dict[str, str]:
    """{address (lower case): Mailchimp's error} from an update's ``errors``."""
    out = {}
    for error in (answer or {}).get("errors") or []:
        if not isinstance(error, dict):
            continue
        message = str(error.get("error") or error.get("message") or "refused")
        addresses = error.get("email_addresses") or ([error["email_address"]] if error.get("email_address") else [])
        for address in addresses:
            out[str(address).lower()] = message
    return out


def forget_contact(contact_id: int) -> int:
    """GDPR: the contact was anonymized (its member is deleted in Mailchimp): keep nothing of it here."""
    return MailchimpSegmentMember.objects.filter(contact_id=contact_id).delete()[0]


# What the admin shows -----------------------------------------------------------------------------

@dataclass
class GroupTagStatus:
    """One group of the shop, as the segments page shows it (Oro's "sync status" per segment)."""

    group: ContactGroup
    name: str
    chosen: bool
    in_shuup: int  #: members of the group in Shuup
    in_audience: int  #: of those, members of the audience (taggable)
    in_tag: int  #: what this shop put in the tag, as Mailchimp confirmed
    to_add: int
    to_remove: int
    item: Optional[MailchimpSyncItem] = None

    @property
    def status(self) -> str:
        """synced, pending, failed, or "" (not a tag and never was)."""
        if self.item is None:
            return "pending" if self.chosen else ""
        if self.item.status == SyncStatus.PROCESSING:
            return "pending"
        if self.item.status == SyncStatus.SYNCED and self.chosen and (self.to_add or self.to_remove):
            return "pending"  # a change was recorded after it; the item is about to go
        return self.item.status.value

    @property
    def state(self) -> dict:
        return (self.item.state or {}) if self.item is not None else {}


def group_statuses(shop_id: int) -> List[GroupTagStatus]:
    """Every group of the shop with its tag's status and counts, in a handful of queries."""
    groups = list(ContactGroup.objects.filter(shop_id=shop_id).order_by("pk"))
    chosen = chosen_group_ids(shop_id)
    items = {i.object_id: i for i in MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=SyncKind.SEGMENT)}
    members: Dict[int, set] = {}
    for group_id, contact_id in ContactGroup.members.through.objects.filter(
            contactgroup__shop_id=shop_id).values_list("contactgroup_id", "contact_id"):
        members.setdefault(group_id, set()).add(contact_id)
    in_groups = ContactGroup.members.through.objects.filter(contactgroup__shop_id=shop_id).values("contact_id")
    addresses = {cid: subscriber_hash(member_address(s)) for cid, s, _st in _contact_states(shop_id, in_groups)
                 if member_address(s)}
    mirrors: Dict[int, Dict[int, str]] = {}
    for group_id, contact_id, digest in MailchimpSegmentMember.objects.filter(shop_id=shop_id).values_list(
            "group_id", "contact_id", "subscriber_hash"):
        mirrors.setdefault(group_id, {})[contact_id] = digest
    rows = []
    for group in groups:
        in_group = members.get(group.pk, set())
        taggable = {cid: addresses[cid] for cid in in_group if cid in addresses}
        mirror = mirrors.get(group.pk, {})
        is_chosen = group.pk in chosen
        to_add = sum(1 for cid, digest in taggable.items() if mirror.get(cid) != digest) if is_chosen else 0
        to_remove = sum(1 for cid in mirror if cid not in taggable) if is_chosen else len(mirror)
        rows.append(GroupTagStatus(group=group, name=group_name(group), chosen=is_chosen, in_shuup=len(in_group),
                                   in_audience=len(taggable), in_tag=len(mirror), to_add=to_add,
                                   to_remove=to_remove, item=items.get(group.pk)))
    return rows


def status_totals(shop_id: int) -> Dict[str, int]:
    """{synced, pending, failed}: SEGMENT items of the shop by status (the dashboard's counts)."""
    rows = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=SyncKind.SEGMENT).values_list("status").annotate(
        n=Count("pk")).order_by()
    totals = {"synced": 0, "pending": 0, "failed": 0}
    for status, n in rows:
        key = {"processing": "pending"}.get(SyncStatus(status).value, SyncStatus(status).value)
        totals[key] = totals.get(key, 0) + n
    return totals
