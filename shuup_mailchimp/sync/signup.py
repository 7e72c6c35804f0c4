"""Newsletter sign-ups (the sign-up box, the registration checkbox) and GDPR marketing permissions.

A sign-up makes no API call. It gives the contact its marketing permission (a known contact of
the shop with that address, or a new lightweight one), keeps a :class:`MailchimpSignup` row (the
consent text agreed to, when, where) and lets the contact's normal outbox item do the rest,
like any other change. That sync asks :func:`consent_inputs` what the sign-up means for the
consent table (``sync/consent.py``):

- the sign-up is permission given in Shuup just now: *fresh* (as False -> True), even for a
  contact who never was synced or whose permission was already on (e.g. they unsubscribed in
  Mailchimp and now sign up again: Mailchimp's confirmation is asked);
- with the shop's double opt-in (the default) a fresh subscription is ``pending``: Mailchimp
  emails the confirmation and subscribes them on their click; without it, ``subscribed``;
- a never-synced contact's member is read first (one GET), so a member who is subscribed
  already is left alone and one who opted out is asked to confirm, not forced.

A sign-up counts until the contact's next successful sync after it.

GDPR: on audiences with Mailchimp's GDPR fields, the shop chooses which marketing permission
means email marketing (:func:`marketing_permission_choices` reads them from the audience);
:func:`gdpr_fields` then sends it with every member write, enabled exactly when the contact has
marketing permission, so a withdrawal clears it.
"""
from dataclasses import dataclass
from typing import Optional

from django.core import signing
from django.db import transaction
from django.utils.translation import ugettext_lazy as _

from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSignup

DEFAULT_CONSENT_TEXT = _("Yes, email me news and offers from this shop. I can unsubscribe at any time.")
CHOICES_CACHE_SECONDS = 600
CONSENT_SALT = "shuup_mailchimp.signup_consent"


def consent_text(shop_settings, own_text: str = "") -> str:
    """The text a person agrees to: the box's own, else the shop's, else a plain default."""
    return (own_text or "").strip() or (shop_settings.signup_consent_text or "").strip() or str(DEFAULT_CONSENT_TEXT)


def sign_consent(text: str) -> str:
    """The consent text a form shows, signed: the sign-up records exactly what was shown."""
    return signing.dumps(text, salt=CONSENT_SALT, compress=True)


def read_consent(value: str) -> str:
    """The consent text the form showed; raises ``signing.BadSignature`` when altered."""
    return signing.loads(value or "", salt=CONSENT_SALT)


@dataclass
class SignupResult:
    contact: object
    created: bool  # a new lightweight contact was made for the address
    double_opt_in: bool


def find_contact(shop, email: str):
    """The shop's contact with this address (the oldest, if several), or None."""
    from shuup_mailchimp.sync.carts import shop_contacts

    return shop_contacts(shop.pk).filter(email__iexact=email.strip(), is_active=True).order_by("pk").first()


def sign_up(shop, email: str, text: str, source: str, contact=None) -> SignupResult:
    """Record a newsletter sign-up for ``email`` (or ``contact``, a logged-in customer) in ``shop``.

    No API call: the contact's save records its outbox item (receivers) and the sync sends it.
    """
    from shuup.core.models import PersonContact

    from shuup_mailchimp.receivers import record_contacts
    from shuup_mailchimp.sync import outbox

    shop_settings = MailchimpShopSettings.for_shop(shop)
    email = (email or "").strip()
    created = False
    with transaction.atomic():
        # The contact's item is recorded once the sign-up row exists (below), never before: its
        # sync must see the sign-up, even when it runs at once (inline dispatch).
        with outbox.recording_suppressed():
            contact = contact or find_contact(shop, email)
            if contact is None:
                contact = PersonContact.objects.create(email=email, marketing_permission=True,
                                                       registration_shop=shop)
                created = True
            else:
                if not (contact.email or "").strip() and email:
                    contact.email = email
                contact.marketing_permission = True
                contact.save()
            if created or not contact.in_shop(shop):
                contact.add_to_shop(shop)
        MailchimpSignup.objects.create(shop=shop, contact=contact, source=source, consent_text=text,
                                       double_opt_in=shop_settings.double_opt_in)
        record_contacts([contact.pk], shop_ids={shop.pk})
    return SignupResult(contact=contact, created=created, double_opt_in=shop_settings.double_opt_in)


def pending_signup(shop_id: int, contact_id: int, since) -> Optional[MailchimpSignup]:
    """The newest sign-up of the contact made after ``since`` (its item's last successful sync)."""
    signups = MailchimpSignup.objects.filter(shop_id=shop_id, contact_id=contact_id)
    if since is not None:
        signups = signups.filter(created_on__gt=since)
    return signups.order_by("-created_on", "-pk").first()


def waiting_signup(shop_settings, item, permission: bool) -> Optional[MailchimpSignup]:
    """The sign-up the contact's sync must apply (made since its last successful sync), or None."""
    if not permission:
        return None
    return pending_signup(shop_settings.shop_id, item.object_id, item.synced_on)


def consent_inputs(client, shop_settings, signup, email: str, state: dict, last_permission):
    """(last permission, remote status, double opt-in) for ``consent.decide``, a sign-up considered.

    Without a sign-up waiting (``signup`` None): the item's own values and no double opt-in. With
    one, the member is read first: what we last saw may be stale (the person may have unsubscribed
    in Mailchimp since), and a sign-up must neither pend a subscriber nor force an opted-out person.
    """
    remote_status = state.get("member_status")
    if signup is None:
        return last_permission, remote_status, False
    from shuup_mailchimp.client import members

    member = members.get_member(client, shop_settings.audience_id, email)
    remote_status = (member or {}).get("status") or None
    if remote_status == "archived":
        remote_status = None  # restored as a new member would be
    return False, remote_status, bool(signup.double_opt_in)


# GDPR marketing permissions ----------------------------------------------------------------------------

def gdpr_fields(shop_settings, permission: bool) -> dict:
    """Member fields for the shop's chosen GDPR permission ({} when none is chosen)."""
    permission_id = (getattr(shop_settings, "marketing_permission_id", "") or "").strip()
    if not permission_id:
        return {}
    return {"marketing_permissions": [{"marketing_permission_id": permission_id, "enabled": bool(permission)}]}


def marketing_permission_choices(shop_settings, use_cache: bool = True) -> list:
    """``[(id, text)]`` of the audience's GDPR marketing permissions, read from one of its members
    (Mailchimp has no endpoint for the list's own); [] when it has none, no members, or cannot be
    asked. Cached for ten minutes per audience (the admin form asks on every page)."""
    from django.core.cache import cache

    if not shop_settings.is_configured:
        return []
    key = "shuup_mailchimp:gdpr_permissions:%s:%s" % (shop_settings.shop_id, shop_settings.audience_id)
    found = cache.get(key) if use_cache else None
    if found is None:
        from shuup_mailchimp.client import client_for, members
        from shuup_mailchimp.exceptions import MailchimpError

        try:
            found = [(p["marketing_permission_id"], p["text"]) for p in members.marketing_permissions(
                client_for(shop_settings, log=False), shop_settings.audience_id)]
        except MailchimpError:
            found = []
        cache.set(key, found, CHOICES_CACHE_SECONDS)
    return [tuple(choice) for choice in found]
