"""Mailchimp -> Shuup: the webhook endpoint, applying events, two-way sync, conflicts, GDPR erasure."""
import io
import json
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client
from shuup.core.models import ContactGroup, PersonContact

from shuup_mailchimp.enums import SyncKind, SyncStatus, WebhookStatus
from shuup_mailchimp.models import MailchimpLogEntry, MailchimpSyncItem, MailchimpWebhookEvent
from shuup_mailchimp.sync.webhook_setup import webhook_path
from shuup_mailchimp.testing.emulator.webhooks import build_payload, member_data

from .conftest import member_of


def person(shop, email="ann.lee@mailbox.org", permission=True, **kw):
    contact = PersonContact.objects.create(first_name=kw.pop("first_name", "Ann"), last_name="Lee", email=email,
                                           marketing_permission=permission, **kw)
    contact.add_to_shop(shop)
    return contact


def contact_item(contact):
    return MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk)


def payload(emulator, audience_id, event_type, email, **extra):
    """The form Mailchimp would POST, built by the emulator from the member it holds."""
    lst = emulator.lists[audience_id]
    member = next(m for m in lst["members"].values() if m["email_address"].lower() == email.lower())
    data = member_data(lst, member)
    data.update(extra)
    return build_payload(event_type, data)


def post(shop_settings, form, token=None):
    path = webhook_path(shop_settings)
    if token is not None:
        path = path.replace(shop_settings.webhook_secret, token)
    return Client().post(path, urlencode(form), content_type="application/x-www-form-urlencoded")


@pytest.mark.django_db
def test_get_validates_the_url_and_a_wrong_token_is_404(initialized):
    assert Client().get(webhook_path(initialized)).status_code == 200
    assert Client().get(webhook_path(initialized).replace(initialized.webhook_secret, "x" * 20)).status_code == 404
    assert post(initialized, {"type": "unsubscribe"}, token="y" * 20).status_code == 404
    assert not MailchimpWebhookEvent.objects.exists()


@pytest.mark.django_db
def test_an_unsubscribe_withdraws_permission_once_and_is_never_echoed(initialized, emulator):
    contact = person(initialized.shop)
    emulator.unsubscribe_as_person(initialized.audience_id, contact.email)  # the person clicks the link
    form = payload(emulator, initialized.audience_id, "unsubscribe", contact.email, action="unsub", reason="manual")
    writes = emulator.stats["writes"]
    assert post(initialized, form).status_code == 200
    contact.refresh_from_db()
    assert contact.marketing_permission is False
    event = MailchimpWebhookEvent.objects.get()
    assert event.status == WebhookStatus.APPLIED and event.contact_id == contact.pk and event.body
    state = contact_item(contact).state
    assert state["opted_out"] is True and state["permission"] is False and state["consent_source"] == "webhook"
    assert emulator.stats["writes"] == writes  # applying it wrote nothing back to Mailchimp
    assert post(initialized, form).status_code == 200  # Mailchimp retries deliveries: harmless
    assert MailchimpWebhookEvent.objects.filter(status=WebhookStatus.SKIPPED, note__icontains="duplicate").count() == 1
    contact.first_name = "Annie"  # a later edit in the shop does not re-subscribe them
    contact.save()
    contact.marketing_permission = True  # not even fresh permission: Mailchimp's confirmation is asked
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"


@pytest.mark.django_db
def test_a_malformed_or_oversized_payload_is_refused_and_kept_raw(initialized, emulator):
    contact = person(initialized.shop)
    response = post(initialized, {"type": "unsubscribe", "fired_at": "2026-01-01 10:00:00",
                                  "data[list_id]": initialized.audience_id})  # no email
    assert response.status_code == 400
    event = MailchimpWebhookEvent.objects.get()
    assert event.status == WebhookStatus.INVALID and "email" in event.error and "type=unsubscribe" in event.body
    assert post(initialized, {"type": "nonsense", "data[email]": contact.email}).status_code == 400
    other_list = payload(emulator, initialized.audience_id, "unsubscribe", contact.email)
    other_list["data[list_id]"] = "someotherlist"
    assert post(initialized, other_list).status_code == 400
    huge = {"type": "profile", "data[email]": contact.email, "data[merges][FNAME]": "x" * 70000}
    assert post(initialized, huge).status_code == 413
    contact.refresh_from_db()
    assert contact.marketing_permission is True


@pytest.mark.django_db
def test_mailchimp_sync_applies_a_stored_webhook_and_says_so(initialized, emulator):
    """Without a worker or a background thread (a broker that is down, say), the command applies it."""
    from shuup_mailchimp.sync.inbound import store

    contact = person(initialized.shop)
    emulator.unsubscribe_as_person(initialized.audience_id, contact.email)
    form = payload(emulator, initialized.audience_id, "unsubscribe", contact.email)
    row, valid = store(initialized.shop_id, urlencode(form), "application/x-www-form-urlencoded",
                       list(form.items()), initialized.audience_id)
    assert valid and row.status == WebhookStatus.RECEIVED
    out = io.StringIO()
    call_command("mailchimp_sync", "--shop", str(initialized.shop_id), stdout=out)
    contact.refresh_from_db()
    assert contact.marketing_permission is False
    assert "Webhooks from Mailchimp: 1 applied." in out.getvalue()


@pytest.mark.django_db
def test_two_way_events_are_stored_but_not_applied_when_two_way_is_off(initialized, emulator):
    contact = person(initialized.shop, permission=False)
    form = payload(emulator, initialized.audience_id, "profile", contact.email)
    form["data[merges][FNAME]"] = "Remote"
    assert post(initialized, form).status_code == 200
    contact.refresh_from_db()
    assert contact.first_name == "Ann"
    assert MailchimpWebhookEvent.objects.get().note.startswith("two-way sync is off")


@pytest.mark.django_db
def test_two_way_profile_subscribe_and_upemail_reach_shuup_without_echo(initialized, emulator):
    initialized.two_way_sync = True
    initialized.save()
    vip = ContactGroup.objects.create(shop=initialized.shop, name="VIP")
    contact = person(initialized.shop, permission=False)
    writes = emulator.stats["writes"]
    form = payload(emulator, initialized.audience_id, "profile", contact.email)
    form.update({"data[merges][FNAME]": "Remote", "data[merges][INTERESTS]": "VIP"})
    assert post(initialized, form).status_code == 200
    contact.refresh_from_db()
    assert contact.first_name == "Remote" and vip.members.filter(pk=contact.pk).exists()
    assert post(initialized, payload(emulator, initialized.audience_id, "subscribe", contact.email)).status_code == 200
    contact.refresh_from_db()
    assert contact.marketing_permission is True
    form = build_payload("upemail", {"list_id": initialized.audience_id, "new_id": "x", "old_email": contact.email,
                                     "new_email": "ann.new@mailbox.org"})
    assert post(initialized, form).status_code == 200
    contact.refresh_from_db()
    assert contact.email == "ann.new@mailbox.org" and contact_item(contact).state["email"] == "ann.new@mailbox.org"
    assert emulator.stats["writes"] == writes  # nothing went back to Mailchimp


@pytest.mark.django_db
@pytest.mark.parametrize("policy,expected_name,pushed", [("remote", "Remote", False), ("local", "Local", True)])
def test_conflict_policy_decides_a_field_changed_on_both_sides(initialized, emulator, policy, expected_name, pushed):
    from shuup_mailchimp.enums import ConflictPolicy

    initialized.two_way_sync = True
    initialized.conflict_policy = ConflictPolicy(policy)
    initialized.save()
    contact = person(initialized.shop)
    initialized.enabled = False  # a local edit not yet sent (the integration paused, say)
    initialized.save()
    contact.first_name = "Local"
    contact.save()
    initialized.enabled = True
    initialized.save()
    form = payload(emulator, initialized.audience_id, "profile", contact.email)
    form["data[merges][FNAME]"] = "Remote"
    assert post(initialized, form).status_code == 200
    contact.refresh_from_db()
    assert contact.first_name == expected_name
    row = MailchimpLogEntry.objects.get(operation="webhook_conflict")
    assert "'Local'" in row.message and "'Remote'" in row.message and initialized.api_key not in row.message
    assert (contact_item(contact).status == SyncStatus.PENDING) is pushed


def _paused_local_edit(shop_settings, contact, **changes):
    """A change made in Shuup and not yet sent (the integration paused, say)."""
    shop_settings.enabled = False
    shop_settings.save()
    for name, value in changes.items():
        setattr(contact, name, value)
    contact.save()
    shop_settings.enabled = True
    shop_settings.save()


@pytest.mark.django_db
@pytest.mark.parametrize("policy", ["remote", "local"])
def test_conflict_policy_decides_email_and_permission_changed_on_both_sides(initialized, emulator, policy):
    """The other two-way fields: upemail against a local address change, subscribe against a local
    withdrawal. Remote wins applies Mailchimp's value; local wins keeps Shuup's and sends it again."""
    from shuup_mailchimp.enums import ConflictPolicy

    initialized.two_way_sync = True
    initialized.conflict_policy = ConflictPolicy(policy)
    initialized.save()
    mover = person(initialized.shop, email="mover.old@mailbox.org")
    _paused_local_edit(initialized, mover, email="mover.shuup@mailbox.org")
    form = build_payload("upemail", {"list_id": initialized.audience_id, "new_id": "x",
                                     "old_email": "mover.old@mailbox.org", "new_email": "mover.mc@mailbox.org"})
    assert post(initialized, form).status_code == 200
    mover.refresh_from_db()
    assert mover.email == ("mover.mc@mailbox.org" if policy == "remote" else "mover.shuup@mailbox.org")
    withdrawn = person(initialized.shop, email="withdrawn.here@mailbox.org")
    _paused_local_edit(initialized, withdrawn, marketing_permission=False)
    form = payload(emulator, initialized.audience_id, "subscribe", withdrawn.email)
    assert post(initialized, form).status_code == 200
    withdrawn.refresh_from_db()
    assert withdrawn.marketing_permission is (policy == "remote")
    rows = list(MailchimpLogEntry.objects.filter(operation="webhook_conflict").order_by("pk"))
    assert [r.object_id for r in rows] == [mover.pk, withdrawn.pk]
    assert "'mover.shuup@mailbox.org'" in rows[0].message and "'mover.mc@mailbox.org'" in rows[0].message
    assert "False" in rows[1].message and "True" in rows[1].message
    assert (contact_item(mover).status == SyncStatus.PENDING) is (policy == "local")
    assert (contact_item(withdrawn).status == SyncStatus.PENDING) is (policy == "local")


@pytest.mark.django_db
def test_cleaned_marks_the_address_undeliverable(initialized, emulator):
    contact = person(initialized.shop)
    emulator.clean_member(initialized.audience_id, contact.email)
    form = payload(emulator, initialized.audience_id, "cleaned", contact.email, reason="hard")
    assert post(initialized, form).status_code == 200
    writes = emulator.stats["writes"]
    contact.first_name = "Edited"
    contact.save()
    assert emulator.stats["writes"] == writes
    assert "undeliverable" in contact_item(contact).note


@pytest.mark.django_db
def test_an_event_for_an_unknown_address_is_recorded_and_skipped(initialized, emulator):
    form = build_payload("unsubscribe", {"list_id": initialized.audience_id, "email": "stranger@mailbox.org"})
    assert post(initialized, form).status_code == 200
    assert MailchimpWebhookEvent.objects.get().status == WebhookStatus.SKIPPED


@pytest.mark.django_db
def test_gdpr_anonymization_erases_member_and_customer_and_the_state(initialized, emulator):
    from shuup.gdpr.anonymizer import Anonymizer

    contact = person(initialized.shop, email="forget.me@mailbox.org")
    assert member_of(emulator, initialized.audience_id, "forget.me@mailbox.org")
    from django.db import transaction

    with transaction.atomic():  # as Shuup's admin view runs it
        Anonymizer().anonymize(initialized.shop, contact)
    contact.refresh_from_db()
    snapshot = emulator.snapshot()
    members = snapshot["lists"][initialized.audience_id]["members"]
    assert not any(m["email_address"] in ("forget.me@mailbox.org", contact.email) for m in members.values())
    assert not snapshot["stores"][initialized.store_id]["customers"]
    state = contact_item(contact).state
    assert state == {"erased": True}
    erasure = MailchimpSyncItem.objects.get(kind=SyncKind.ERASURE, object_id=contact.pk)
    assert erasure.status == SyncStatus.SYNCED and "forget.me" not in json.dumps(erasure.state)


@pytest.mark.django_db
def test_initialize_says_what_to_do_when_mailchimp_cannot_reach_the_webhook(shop_settings, emulator):
    from shuup_mailchimp.sync.store import initialize_store

    summary = initialize_store(shop_settings)  # https://shop-one.example-shop.com does not answer
    assert summary["webhook"].startswith("webhook not registered: ")
    assert "mailchimp_webhooks --shop %s --register" % shop_settings.shop_id in summary["webhook"]
    assert shop_settings.webhook_secret not in summary["webhook"]


@pytest.mark.django_db
def test_webhook_url_is_registered_when_public_and_explained_when_not(initialized, emulator, settings):
    out = io.StringIO()
    call_command("mailchimp_status", "--shop", str(initialized.shop_id), "--json", stdout=out)
    url = json.loads(out.getvalue())["webhook_url"]
    assert url.startswith("https://shop-one.example-shop.com/") and initialized.webhook_secret in url
    settings.SHUUP_MAILCHIMP_PUBLIC_URL = "http://127.0.0.1:8000"
    out = io.StringIO()
    call_command("mailchimp_webhooks", "--shop", str(initialized.shop_id), "--check", stdout=out)
    assert "loopback or private" in out.getvalue() and "SHUUP_MAILCHIMP_PUBLIC_URL" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_end_to_end_the_emulator_fires_real_webhooks_at_the_shop(live_server, emulator, settings, shop_settings):
    """Mailchimp's side as it happens: the person unsubscribes, Mailchimp POSTs a form to the shop's
    server (a real HTTP server here), and the contact's permission is off within one cycle."""
    import time
    from urllib.parse import urlsplit

    from shuup_mailchimp.sync.store import initialize_store

    port = urlsplit(live_server.url).port
    settings.SHUUP_MAILCHIMP_PUBLIC_URL = "http://shop.e2e.test:%d" % port  # a name Mailchimp could reach
    emulator.resolve_hosts["shop.e2e.test:%d" % port] = "127.0.0.1:%d" % port
    summary = initialize_store(shop_settings)
    assert summary["webhook"].startswith("webhook registered"), summary["webhook"]
    contact = person(shop_settings.shop, email="e2e.person@mailbox.org")
    emulator.unsubscribe_as_person(shop_settings.audience_id, contact.email)
    emulator.wait_for_webhooks()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        contact.refresh_from_db()
        if not contact.marketing_permission:
            break
        time.sleep(0.1)
    assert contact.marketing_permission is False
    event = MailchimpWebhookEvent.objects.get()
    assert event.status == WebhookStatus.APPLIED and "type=unsubscribe" in event.body
    contact.first_name = "Edited"
    contact.save()
    assert member_of(emulator, shop_settings.audience_id, contact.email)["status"] == "unsubscribed"


@pytest.mark.django_db
def test_the_contact_page_shows_the_withdrawal_and_where_it_came_from(initialized, emulator, admin_user):
    contact = person(initialized.shop)
    emulator.unsubscribe_as_person(initialized.audience_id, contact.email)
    assert post(initialized, payload(emulator, initialized.audience_id, "unsubscribe", contact.email)).status_code == 200
    client = Client()
    client.force_login(admin_user)
    html = client.get("/sa/contacts/%d/" % contact.pk).content.decode()
    assert "received by webhook on" in html and "marketing permission in Shuup was withdrawn" in html


@pytest.mark.django_db(transaction=True)
def test_the_demo_fire_command_unsubscribes_through_a_real_emulator_and_server(live_server, settings, shop):
    """`mailchimp_emulator fire unsubscribe EMAIL` (the command `make demo` prints): a real emulator
    over HTTP, the shop's server over HTTP, and the command waits until the shop applied it."""
    from urllib.parse import urlsplit

    from shuup_mailchimp.models import MailchimpShopSettings
    from shuup_mailchimp.testing.emulator.server import EmulatorServer
    from shuup_mailchimp.testing.emulator.state import MailchimpEmulator

    emu = MailchimpEmulator()
    server = EmulatorServer(emu).start()
    try:
        port = urlsplit(live_server.url).port
        settings.SHUUP_MAILCHIMP_API_URL = server.url + "/3.0/"
        settings.SHUUP_MAILCHIMP_PUBLIC_URL = "http://shop.fire.test:%d" % port
        emu.resolve_hosts["shop.fire.test:%d" % port] = "127.0.0.1:%d" % port
        audience = emu.create_list(name="Fire audience")
        shop_settings = MailchimpShopSettings.for_shop(shop)
        shop_settings.api_key = "ab" * 16 + "-us1"
        shop_settings.audience_id, shop_settings.enabled = audience["id"], True
        shop_settings.save()
        contact = person(shop, email="fire.me@mailbox.org")
        assert member_of(emu, audience["id"], contact.email)["status"] == "subscribed"
        out = io.StringIO()
        call_command("mailchimp_emulator", "fire", "unsubscribe", contact.email, stdout=out)
        assert "The shop applied it: the person unsubscribed in Mailchimp" in out.getvalue(), out.getvalue()
        contact.refresh_from_db()
        assert contact.marketing_permission is False
        assert member_of(emu, audience["id"], contact.email)["status"] == "unsubscribed"
    finally:
        server.stop()


@pytest.mark.django_db
def test_init_command_prints_mailchimps_reason_as_written(shop_settings, emulator):
    """str.capitalize() lowercased the rest: 'invalid resource: the url ...', 'urlerror', 'errno'."""
    out = io.StringIO()
    call_command("mailchimp_init", "--shop", str(shop_settings.shop_id), stdout=out)
    line = next(text for text in out.getvalue().splitlines() if text.startswith("Webhook not registered: "))
    assert "Invalid Resource" in line and "--register" in line
    assert shop_settings.webhook_secret not in out.getvalue()
