"""Drift repair: compare what Mailchimp holds with what Shuup says it should, and mend it.

Pages through the audience's members and the store's customers, products and orders with
``fields=`` (small answers) and compares them with the shop's contacts and sync items:

- a member who opted out in Mailchimp while Shuup still has permission: repaired as its webhook
  would be (a stored event, applied by ``sync.inbound``: the permission is withdrawn in Shuup);
- a member, customer, product or order missing in Mailchimp, or a member whose names, status or
  interests differ from what Shuup would send: repaired by sending Shuup's version again
  through the outbox (the fingerprint is forgotten, so the next run sends it); a member still
  subscribed whose permission Shuup withdrew is unsubscribed (never the other way round).

Reading is the whole cost: one request per 1,000 records.
"""
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List

from shuup.core.models import Contact

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync import consent, outbox
from shuup_mailchimp.sync.interests import known_interest_ids
from shuup_mailchimp.sync.payloads import contact_names

PAGE = 1000


@dataclass
class Drift:
    """Differences by kind: {kind: [(object id, what differs)]}."""

    differences: Dict[str, List] = field(default_factory=lambda: defaultdict(list))
    repaired: Dict[str, int] = field(default_factory=dict)
    requests: int = 0

    def add(self, kind, object_id, text):
        self.differences[kind].append((object_id, text))

    @property
    def total(self):
        return sum(len(rows) for rows in self.differences.values())

    def as_dict(self):
        return {"total": self.total, "requests": self.requests, "repaired": dict(self.repaired),
                "differences": {k: [{"id": i, "difference": t} for i, t in rows] for k, rows in self.differences.items()}}


def _pages(client, path, collection, fields, drift):
    offset = 0
    while True:
        data = client.get("reconcile.%s" % collection, path, count=PAGE, offset=offset,
                          fields="%s,total_items" % ",".join("%s.%s" % (collection, f) for f in fields))
        drift.requests += 1
        rows = data.get(collection, [])
        yield from rows
        offset += len(rows)
        if not rows or offset >= int(data.get("total_items") or 0):
            return


def _hash(email):
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


def reconcile(client, shop_settings, repair: bool = False) -> Drift:
    drift = Drift()
    shop_id = shop_settings.shop_id
    members = {
        _hash(m["email_address"]): m
        for m in _pages(client, "lists/%s/members" % shop_settings.audience_id, "members",
                        ["email_address", "status", "merge_fields", "interests"], drift)
    }
    interest_of_group = known_interest_ids(shop_id)  # only this shop's interests are compared
    groups_of = _groups_by_contact(interest_of_group)
    items = {i.object_id: i for i in MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=SyncKind.CONTACT)}
    contacts = (Contact.objects.filter(shops=shop_id) | Contact.objects.filter(registration_shop_id=shop_id)).distinct()
    resend, opted_out, still_subscribed = set(), [], {}
    for contact in contacts.exclude(email="").iterator():
        item = items.get(contact.pk)
        state = dict(item.state or {}) if item else {}
        if state.get("erased") or state.get("forgotten") or state.get("undeliverable"):
            continue
        wanted = bool(contact.marketing_permission) or shop_settings.send_transactional or state.get("permission")
        member = members.get(_hash(contact.email))
        if member is None:
            if wanted:
                drift.add("member", contact.pk, "missing in Mailchimp")
                resend.add(contact.pk)
            continue
        status = member.get("status")
        if contact.marketing_permission and status in consent.OPTED_OUT:
            drift.add("member", contact.pk, "%s in Mailchimp, permission on in Shuup" % status)
            opted_out.append((contact, member))
            continue
        if not contact.marketing_permission and status in (consent.SUBSCRIBED, consent.PENDING) and state.get(
                "permission") is False:
            drift.add("member", contact.pk, "%s in Mailchimp, withdrawn in Shuup" % status)
            resend.add(contact.pk)
            still_subscribed[contact.pk] = status
        first, last, _company = contact_names(contact)
        merges = member.get("merge_fields") or {}
        if (merges.get("FNAME", ""), merges.get("LNAME", "")) != (first, last):
            drift.add("member", contact.pk, "names differ: %r / %r in Mailchimp" % (merges.get("FNAME"),
                                                                                  merges.get("LNAME")))
            resend.add(contact.pk)
        differing = _interests_differing(member, groups_of.get(contact.pk, set()), interest_of_group)
        if differing:
            drift.add("member", contact.pk, "interests differ: %d group(s)" % differing)
            resend.add(contact.pk)
    if shop_settings.store_id:
        for kind, collection in ((SyncKind.CONTACT, "customers"), (SyncKind.PRODUCT, "products"),
                                 (SyncKind.ORDER, "orders")):
            remote = {str(r["id"]) for r in _pages(
                client, "ecommerce/stores/%s/%s" % (shop_settings.store_id, collection), collection, ["id"], drift)}
            synced = MailchimpSyncItem.objects.filter(shop_id=shop_id, kind=kind, status=SyncStatus.SYNCED).exclude(
                remote_id="")
            missing = [object_id for object_id, remote_id in synced.values_list("object_id", "remote_id")
                       if remote_id not in remote]
            for object_id in missing:
                drift.add(collection[:-1], object_id, "missing in Mailchimp")
            if kind == SyncKind.CONTACT:
                resend.update(missing)
            elif repair:
                _resend(shop_id, kind, missing)
                drift.repaired[collection] = len(missing)
    if repair:
        _withdraw_again(shop_id, still_subscribed)
        _resend(shop_id, SyncKind.CONTACT, resend)
        drift.repaired["members"] = len(resend)
        drift.repaired["opt-outs applied in Shuup"] = _apply_opt_outs(shop_settings, opted_out)
    return drift


def _groups_by_contact(interest_of_group) -> Dict[int, set]:
    """{contact id: ids of its groups that are mapped to an interest}, in one query."""
    from shuup.core.models import ContactGroup

    through = ContactGroup.members.through.objects.filter(contactgroup_id__in=list(interest_of_group))
    groups_of: Dict[int, set] = defaultdict(set)
    for contact_id, group_id in through.values_list("contact_id", "contactgroup_id"):
        groups_of[contact_id].add(group_id)
    return groups_of


def _interests_differing(member, group_ids, interest_of_group) -> int:
    """How many of the shop's interests Mailchimp has otherwise than the contact's groups say."""
    remote = member.get("interests") or {}
    return sum(1 for group_id, interest_id in interest_of_group.items()
               if bool(remote.get(interest_id)) != (group_id in group_ids))


def _withdraw_again(shop_id, still_subscribed) -> None:
    """Members subscribed (or pending) in Mailchimp whose permission is withdrawn in Shuup. The
    consent table sends a status only when the permission changed since the last sync (rule 1), so
    sending the contact again would leave them subscribed. The state learns what Mailchimp holds,
    which amounts to permission given there; the next sync is then a withdrawal (rule 5) and
    unsubscribes them. Only ever in that direction: nobody is subscribed by a repair."""
    for contact_id, status in still_subscribed.items():
        try:
            outbox.learn_state(shop_id, SyncKind.CONTACT, contact_id,
                               {"permission": True, "member_status": status, "opted_out": False})
        except outbox.ItemBusy:
            pass  # being sent right now: the next reconcile finds it again if it is still so


def _resend(shop_id, kind, object_ids):
    for object_id in object_ids:
        outbox.record([shop_id], kind, object_id)
    if object_ids:
        outbox.forget_fingerprints(shop_id, [kind], object_ids=list(object_ids))


def _apply_opt_outs(shop_settings, opted_out) -> int:
    """As the webhook would have: stored as events and applied by sync.inbound (consent -> Shuup)."""
    from urllib.parse import urlencode

    from shuup_mailchimp.sync import inbound

    applied = 0
    for contact, member in opted_out:
        event_type = "cleaned" if member["status"] == consent.CLEANED else "unsubscribe"
        pairs = [("type", event_type), ("fired_at", ""), ("data[list_id]", shop_settings.audience_id),
                 ("data[email]", member["email_address"]), ("data[reason]", "found by mailchimp_reconcile")]
        row, valid = inbound.store(shop_settings.shop_id, urlencode(pairs), inbound.RECONCILE_SOURCE, pairs,
                                   shop_settings.audience_id)
        if valid and inbound.process(row) == "applied":
            applied += 1
    return applied


def report_drift_of_active_shops() -> Dict[int, int]:
    """The periodic check (``SHUUP_MAILCHIMP_RECONCILE_INTERVAL``): find drift, repair nothing, and
    leave a log row per shop that the admin shows. Returns {shop id: differences}."""
    from shuup_mailchimp.call_log import log_process
    from shuup_mailchimp.client import client_for
    from shuup_mailchimp.exceptions import MailchimpError
    from shuup_mailchimp.models import MailchimpShopSettings

    found = {}
    for shop_settings in MailchimpShopSettings.objects.active():
        try:
            drift = reconcile(client_for(shop_settings), shop_settings)
        except MailchimpError as exc:
            log_process(shop_settings.shop_id, "reconcile", "Drift check failed.", success=False, error=exc)
            continue
        found[shop_settings.shop_id] = drift.total
        log_process(shop_settings.shop_id, "reconcile",
                    "Drift check: %d difference(s) between Mailchimp and Shuup%s." % (
                        drift.total, "; run mailchimp_reconcile --shop %s --repair" % shop_settings.shop_id
                        if drift.total else ""),
                    success=not drift.total)
    return found
