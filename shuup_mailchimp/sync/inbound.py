"""Mailchimp -> Shuup: webhook payloads become typed events, and one function applies each.

Consent belongs to the person, not to a sync option: ``unsubscribe`` always reaches the shop
(the contact's ``marketing_permission`` becomes false and the sync state records that the
*person* opted out, so we never try to re-subscribe them) and ``cleaned`` always marks the
address undeliverable. With two-way sync on (OroCRM's meaning: changes flow both ways), also
``subscribe`` -> permission true, ``profile`` -> names and contact groups (only groups mapped to
interests), ``upemail`` -> the contact's email. With it off those are stored and shown only.

Applying never echoes: Shuup's objects are saved with recording suppressed and the contact's
sync state learns what Mailchimp now holds. Applying is idempotent (a duplicate body, or the
same values again, changes nothing). An event for a contact a worker is sending right now
waits for the next round, so it never races the worker's own write of the state.

Conflict policy (two-way): when a field changed in Shuup since the last sync *and* in
Mailchimp, *remote wins* applies Mailchimp's value, *local wins* keeps Shuup's and sends it
back; the decision is logged with both values.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, Optional, Tuple

from django.db import transaction
from django.utils import timezone

from shuup_mailchimp.call_log import log_process
from shuup_mailchimp.enums import ConflictPolicy, SyncKind, SyncStatus, WebhookStatus
from shuup_mailchimp.exceptions import MailchimpWebhookError
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem, MailchimpWebhookEvent
from shuup_mailchimp.sync import consent, outbox

EVENT_TYPES = ("subscribe", "unsubscribe", "profile", "upemail", "cleaned", "campaign")
TWO_WAY_ONLY = ("subscribe", "profile", "upemail")
FIRED_AT_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Larger bodies are refused (a real event is well under 10 KiB).
MAX_BODY_BYTES = 64 * 1024


#: The content type of the events mailchimp_reconcile stores for the opt-outs it finds.
RECONCILE_SOURCE = "reconcile"


@dataclass
class WebhookEvent:
    """One parsed Mailchimp webhook."""

    type: str
    fired_at: Optional[datetime]
    email: str  # the address the event is about (the old one for upemail)
    list_id: str
    data: Dict = field(default_factory=dict)
    #: "webhook", or "reconcile" for an opt-out mailchimp_reconcile found (stored the same way)
    source: str = "webhook"

    @property
    def merges(self) -> Dict:
        return self.data.get("merges") or {}


def unflatten(pairs) -> Dict:
    """PHP-style form keys back into a dict: ``data[merges][FNAME]=A`` -> {"data": {"merges": {"FNAME": "A"}}}."""
    result: Dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = result
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise MailchimpWebhookError("Field %r is both a value and a group." % key)
            node = child
        node[parts[-1]] = value
    return result


def parse(pairs, audience_id: str) -> WebhookEvent:
    """A webhook form (``[(key, value)]``) as a typed event; ``MailchimpWebhookError`` when malformed."""
    form = unflatten(pairs)
    event_type = form.get("type")
    if event_type not in EVENT_TYPES:
        raise MailchimpWebhookError("Unknown or missing webhook type %r." % (event_type,))
    data = form.get("data")
    if not isinstance(data, dict):
        raise MailchimpWebhookError("The webhook has no data[...] fields.")
    fired_at = None
    if form.get("fired_at"):
        try:
            fired_at = timezone.make_aware(datetime.strptime(form["fired_at"], FIRED_AT_FORMAT), timezone.utc)
        except (TypeError, ValueError):
            raise MailchimpWebhookError("fired_at %r is not YYYY-MM-DD HH:MM:SS." % (form["fired_at"],))
    list_id = str(data.get("list_id") or "")
    if list_id != audience_id:
        raise MailchimpWebhookError("The webhook is for audience %r, not this shop's %r." % (list_id, audience_id))
    email = data.get("old_email") if event_type == "upemail" else data.get("email")
    if event_type != "campaign" and not (isinstance(email, str) and "@" in email):
        raise MailchimpWebhookError("The %s webhook has no valid email address." % event_type)
    if event_type == "upemail" and not (isinstance(data.get("new_email"), str) and "@" in data["new_email"]):
        raise MailchimpWebhookError("The upemail webhook has no valid new_email.")
    return WebhookEvent(event_type, fired_at, (email or "").strip(), list_id, data)


def store(shop_id: int, body: str, content_type: str, pairs, audience_id: str) -> Tuple[MailchimpWebhookEvent, bool]:
    """Save the raw webhook first, then its parsed form. Returns (row, valid)."""
    row = MailchimpWebhookEvent.objects.create(
        shop_id=shop_id, body=body, content_type=content_type[:128],
        digest=hashlib.sha256(body.encode("utf-8")).hexdigest(),
    )
    try:
        event = parse(pairs, audience_id)
    except MailchimpWebhookError as exc:
        row.status, row.error, row.processed_on = WebhookStatus.INVALID, str(exc), timezone.now()
        row.save(update_fields=["status", "error", "processed_on"])
        return row, False
    row.event_type, row.fired_at, row.email, row.data = event.type, event.fired_at, event.email[:254], event.data
    row.save(update_fields=["event_type", "fired_at", "email", "data"])
    return row, True


# Processing --------------------------------------------------------------------------------------

def process_received(shop_id=None, limit=500) -> Dict[str, int]:
    """Apply the received webhooks (oldest first). Returns counts by outcome."""
    counts: Dict[str, int] = {}
    rows = MailchimpWebhookEvent.objects.filter(status=WebhookStatus.RECEIVED)
    if shop_id is not None:
        rows = rows.filter(shop_id=shop_id)
    for row in rows.order_by("fired_at", "pk")[:limit]:
        outcome = process(row)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def process(row: MailchimpWebhookEvent) -> str:
    """Apply one stored webhook; record how it ended on its row. Never raises."""
    try:
        with transaction.atomic():
            status, note = apply(row)
    except outbox.ItemBusy:
        status, note = None, ""
    except Exception as exc:  # kept on the row; replayable with mailchimp_webhooks --replay
        status, note = WebhookStatus.FAILED, ""
        row.error = "%s: %s" % (type(exc).__name__, exc)
    if status is None:
        return "deferred"  # its contact is being sent right now: next round
    row.status, row.note, row.processed_on = status, note[:255], timezone.now()
    row.save(update_fields=["status", "note", "error", "processed_on", "contact_id"])
    return status.value


def apply(row: MailchimpWebhookEvent):
    """(status, note) of applying one event; (None, "") to try again later."""
    event = WebhookEvent(row.event_type, row.fired_at, row.email, row.data.get("list_id", ""), row.data,
                         source=RECONCILE_SOURCE if row.content_type == RECONCILE_SOURCE else "webhook")
    shop_settings = MailchimpShopSettings.for_shop(row.shop_id)
    if event.type == "campaign":
        return WebhookStatus.SKIPPED, "campaign events are recorded only"
    earlier = MailchimpWebhookEvent.objects.filter(shop_id=row.shop_id, digest=row.digest, pk__lt=row.pk)
    if earlier.filter(status__in=[WebhookStatus.APPLIED, WebhookStatus.SKIPPED]).exists():
        return WebhookStatus.SKIPPED, "duplicate of an earlier webhook"
    contact, item = find_contact(row.shop_id, event.email)
    if contact is None:
        return WebhookStatus.SKIPPED, "no contact of this shop has the address"
    row.contact_id = contact.pk
    # A withdrawal is the person's, and every contact of the shop at the address (differing only
    # in case or spaces: one Mailchimp member) is that person.
    found = [(contact, item)] + (same_address_contacts(row.shop_id, event.email, contact.pk)
                                 if event.type in WITHDRAWALS else [])
    if any(i is not None and i.status == SyncStatus.PROCESSING for _, i in found):
        return None, ""
    if event.type in TWO_WAY_ONLY and not shop_settings.two_way_sync:
        return WebhookStatus.SKIPPED, "two-way sync is off: stored, not applied"
    applier = {"unsubscribe": _unsubscribe, "cleaned": _cleaned, "subscribe": _subscribe,
               "profile": _profile, "upemail": _upemail}[event.type]
    status, note = applier(shop_settings, contact, item, event)
    for other, other_item in found[1:]:
        applier(shop_settings, other, other_item, event)
    if len(found) > 1:
        note = "%s (and %d other contact(s) at this address)" % (note, len(found) - 1)
    return status, note


#: Events that withdraw consent or deliverability: applied to every contact at the address.
WITHDRAWALS = ("unsubscribe", "cleaned")


def same_address_contacts(shop_id: int, email: str, except_id: int):
    """[(contact, its CONTACT item)] of the shop's other contacts whose address is ``email`` once
    trimmed and lowercased (Mailchimp's one member for all of them)."""
    import re

    from shuup.core.models import Contact

    wanted = email.strip()
    contacts = Contact.objects.filter(email__iregex=r"^\s*%s\s*$" % re.escape(wanted)).exclude(pk=except_id)
    contacts = (contacts.filter(shops=shop_id) | contacts.filter(registration_shop_id=shop_id)).distinct()
    items = {i.object_id: i for i in MailchimpSyncItem.objects.filter(
        shop_id=shop_id, kind=SyncKind.CONTACT, object_id__in=[c.pk for c in contacts])}
    return [(c, items.get(c.pk)) for c in contacts if (c.email or "").strip().lower() == wanted.lower()]


def find_contact(shop_id: int, email: str):
    """(contact, its CONTACT item) for the address, among the shop's contacts; (None, None)."""
    from shuup.core.models import Contact

    contacts = Contact.objects.filter(email__iexact=email.strip())
    contact = (contacts.filter(shops=shop_id) | contacts.filter(registration_shop_id=shop_id)).distinct().first()
    items = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=SyncKind.CONTACT)
    if contact is None:  # the address Mailchimp knows may be one the contact has since left
        for candidate in items.filter(state__icontains=email.strip()):
            if str((candidate.state or {}).get("email", "")).lower() == email.strip().lower():
                contact = Contact.objects.filter(pk=candidate.object_id).first()
                return contact, candidate if contact else None
        return None, None
    return contact, items.filter(object_id=contact.pk).first()


def _learn(shop_id, contact, updates, note_source="webhook") -> None:
    outbox.learn_state(shop_id, SyncKind.CONTACT, contact.pk,
                       dict(updates, consent_source=note_source, consent_changed_on=timezone.now().isoformat()))


def _carts_follow(shop_id, contact) -> None:
    """Consent changed in Mailchimp: the contact's open baskets are looked at again (a cart sent
    before is deleted, an idle basket may become one), as after a change made in Shuup. Found by the
    fault soak: an unsubscribed person's cart stayed, waiting to trigger the abandoned-cart email."""
    from shuup_mailchimp.sync.carts import touch_open_carts

    touch_open_carts(shop_id, contact.pk)


def _save_quietly(contact, fields):
    with outbox.recording_suppressed():
        contact.save(update_fields=fields)


def _unsubscribe(shop_settings, contact, item, event):
    member_status = "archived" if event.data.get("action") == "delete" else consent.UNSUBSCRIBED
    changed = bool(contact.marketing_permission)
    if changed:
        contact.marketing_permission = False
        _save_quietly(contact, ["marketing_permission"])
    _learn(shop_settings.shop_id, contact, {"permission": False, "member_status": member_status, "opted_out": True},
           event.source)
    _carts_follow(shop_settings.shop_id, contact)
    return WebhookStatus.APPLIED, ("the person unsubscribed in Mailchimp: marketing permission withdrawn"
                                   if changed else "the person unsubscribed in Mailchimp (permission was already off)")


def _cleaned(shop_settings, contact, item, event):
    _learn(shop_settings.shop_id, contact, {"member_status": consent.CLEANED, "opted_out": True, "undeliverable": True},
           event.source)
    _carts_follow(shop_settings.shop_id, contact)
    return WebhookStatus.APPLIED, "address cleaned in Mailchimp (%s): not sent again" % (event.data.get("reason") or "bounce")


def _subscribe(shop_settings, contact, item, event):
    last = _state(item).get("permission")
    local_changed = last is not None and bool(contact.marketing_permission) != bool(last)
    if local_changed and not contact.marketing_permission and _local_wins(
            shop_settings, contact, "marketing permission", False, True):
        outbox.record([shop_settings.shop_id], SyncKind.CONTACT, contact.pk)
        return WebhookStatus.APPLIED, "conflict: Shuup's withdrawal wins and is sent again"
    changed = not contact.marketing_permission
    if changed:
        contact.marketing_permission = True
        _save_quietly(contact, ["marketing_permission"])
    _learn(shop_settings.shop_id, contact, {"permission": True, "member_status": consent.SUBSCRIBED,
                                            "opted_out": False, "undeliverable": False})
    _carts_follow(shop_settings.shop_id, contact)
    return WebhookStatus.APPLIED, "subscribed in Mailchimp: marketing permission given" if changed else "already subscribed"


def _profile(shop_settings, contact, item, event):
    from shuup_mailchimp.sync.payloads import contact_names

    state = _state(item)
    synced = state.get("merge_fields") or {}
    first, last, _company = contact_names(contact)
    current = {"FNAME": first, "LNAME": last}
    remote = {tag: str(event.merges.get(tag) or "") for tag in ("FNAME", "LNAME")}
    apply_names, push_back, notes = {}, False, []
    for tag in ("FNAME", "LNAME"):
        if remote[tag] == current[tag]:
            continue
        local_changed = tag in synced and synced[tag] != current[tag]
        if local_changed and _local_wins(shop_settings, contact, tag, current[tag], remote[tag]):
            push_back = True
            continue
        apply_names[tag] = remote[tag]
    fields = _set_names(contact, apply_names)
    group_note = _set_groups(shop_settings, contact, event)
    if fields:
        _save_quietly(contact, fields)
        notes.append("names updated")
    if group_note:
        notes.append(group_note)
    merges = dict(synced, **{k: v for k, v in remote.items() if k in apply_names or k not in synced})
    _learn(shop_settings.shop_id, contact, {"merge_fields": merges})
    if push_back:
        outbox.record([shop_settings.shop_id], SyncKind.CONTACT, contact.pk)
        notes.append("Shuup's values win and are sent again")
    return WebhookStatus.APPLIED if notes else WebhookStatus.SKIPPED, "; ".join(notes) or "profile unchanged"


def _upemail(shop_settings, contact, item, event):
    new_email = event.data["new_email"].strip()
    state = _state(item)
    if contact.email.strip().lower() == new_email.lower():
        _learn(shop_settings.shop_id, contact, dict(_customer_moved(contact, state, new_email), email=new_email))
        return WebhookStatus.SKIPPED, "email already %s" % new_email
    local_changed = state.get("email") and state["email"].lower() != contact.email.strip().lower()
    if local_changed and _local_wins(shop_settings, contact, "email", contact.email, new_email):
        outbox.record([shop_settings.shop_id], SyncKind.CONTACT, contact.pk)
        return WebhookStatus.APPLIED, "conflict: Shuup's email wins and is sent again"
    contact.email = new_email
    _save_quietly(contact, ["email"])
    # Mailchimp has moved the member already; the customer it cannot move (found by the fault soak)
    _learn(shop_settings.shop_id, contact, dict(_customer_moved(contact, state, new_email), email=new_email))
    _carts_follow(shop_settings.shop_id, contact)  # their carts name the new customer
    return WebhookStatus.APPLIED, "email changed in Mailchimp"


def _customer_moved(contact, state, new_email) -> Dict:
    """The state that moves the contact's eCommerce customer to a new id, as a move made in Shuup
    does (``contacts.sync_contact``): Mailchimp refuses to change a customer's email ("An email
    address may not be changed once a customer is created"), so the next sync would fail for good,
    and the contact's orders with it. {} when the contact has no customer at another address."""
    old_email = str(state.get("email") or "")
    if not old_email or old_email.lower() == new_email.lower():
        return {}
    changes = int(state.get("email_changes", 0)) + 1
    return {"email_changes": changes, "customer_id": "%s-e%d" % (contact.pk, changes)}


def _state(item) -> Dict:
    return dict(item.state or {}) if item is not None else {}


def _local_wins(shop_settings, contact, field_name, local, remote) -> bool:
    """Decide a conflict by the shop's policy; log it with both values."""
    local_wins = shop_settings.conflict_policy == ConflictPolicy.LOCAL_WINS
    log_process(
        shop_settings.shop_id, "webhook_conflict",
        "Conflict on %s of contact %s: Shuup has %r, Mailchimp has %r; %s wins." % (
            field_name, contact.pk, local, remote, "Shuup" if local_wins else "Mailchimp"),
        object_kind="contact", object_id=contact.pk,
    )
    return local_wins


def _set_names(contact, names) -> list:
    from shuup.core.models import CompanyContact

    if not names:
        return []
    def fit(field_name, value):  # a merge field may be longer than Shuup's column (PostgreSQL refuses)
        limit = type(contact)._meta.get_field(field_name).max_length
        return str(value or "").replace("\x00", "")[:limit]

    if isinstance(contact, CompanyContact) or not hasattr(contact, "first_name"):
        if "FNAME" in names:
            contact.name = fit("name", names["FNAME"])
            return ["name"]
        return []
    fields = []
    if "FNAME" in names:
        contact.first_name, fields = fit("first_name", names["FNAME"]), fields + ["first_name"]
    if "LNAME" in names:
        contact.last_name, fields = fit("last_name", names["LNAME"]), fields + ["last_name"]
    contact.name = fit("name", ("%s %s" % (contact.first_name, contact.last_name)).strip())
    return fields + ["name"]


def _set_groups(shop_settings, contact, event) -> str:
    """Interests -> contact groups, only for the groups mapped to an interest of this shop."""
    from shuup.core.models import ContactGroup

    from shuup_mailchimp.sync.interests import interest_name, known_interest_ids

    if "INTERESTS" not in event.merges:
        return ""
    chosen = {name.strip() for name in str(event.merges.get("INTERESTS") or "").split(",") if name.strip()}
    mapped = ContactGroup.objects.filter(pk__in=list(known_interest_ids(shop_settings.shop_id)),
                                         shop_id=shop_settings.shop_id)
    member_of = set(contact.groups.filter(pk__in=mapped).values_list("pk", flat=True))
    added, removed = [], []
    with outbox.recording_suppressed():
        for group in mapped:
            wanted = interest_name(group) in chosen
            if wanted and group.pk not in member_of:
                group.members.add(contact)
                added.append(group.pk)
            elif not wanted and group.pk in member_of:
                group.members.remove(contact)
                removed.append(group.pk)
    if not (added or removed):
        return ""
    _tags_follow(shop_settings.shop_id, added + removed)
    return "contact groups: %d joined, %d left" % (len(added), len(removed))


def _tags_follow(shop_id, group_ids) -> None:
    """The groups' Mailchimp tags (those the shop keeps as tags) are sent again: they are not the
    member Mailchimp told us about, so this is no echo. Found by the fault soak: with recording
    suppressed, the tags waited for the daily refresh."""
    from shuup_mailchimp.models import MailchimpTaggedGroup

    tagged = MailchimpTaggedGroup.objects.filter(shop_id=shop_id, group_id__in=list(group_ids))
    for group_id in tagged.values_list("group_id", flat=True):
        outbox.record([shop_id], SyncKind.SEGMENT, group_id)
