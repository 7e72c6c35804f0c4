"""Hostile input, generated from the tables of ``test_hostile_tables.py``.

Every case asserts something specific: a shop save never raises because of the addon; an item
ends *synced* (under the normalized email) or *failed* with a reason, after at most
``SHUUP_MAILCHIMP_MAX_ATTEMPTS`` attempts; Mailchimp's odd answers (an HTML page, an empty body,
truncated JSON, a 200 with garbage, a proxy's 502) become one classified ``MailchimpError``;
the webhook view answers 404 / 400 / 413 and keeps the raw row of a malformed payload.

Mailchimp's odd answers are produced at the transport (``responses``) or by wrapping the
emulator's ``handle`` for some paths. Where the real API and the emulator may differ (unicode
addresses, very long values), the assertion accepts either outcome that loses nothing: the
real API wins, and we have not seen its answer for those inputs.
"""
import hashlib
import json
import logging
from urllib.parse import urlencode

import pytest
import responses
from django.db import DataError, connection, transaction
from django.test import Client
from shuup.core.models import PersonContact

from shuup_mailchimp import exceptions as mc_exceptions
from shuup_mailchimp.client import MailchimpClient, members
from shuup_mailchimp.enums import SyncKind, SyncStatus, WebhookStatus
from shuup_mailchimp.models import MailchimpLogEntry, MailchimpShopSettings, MailchimpSyncItem, MailchimpWebhookEvent
from shuup_mailchimp.sync import outbox
from shuup_mailchimp.sync.processing import process_due
from shuup_mailchimp.sync.webhook_setup import webhook_path

from . import test_hostile_tables as T

BASE = "https://us1.api.mailchimp.test/3.0/"
MAX_ATTEMPTS = 3
KEY_HEX = T.API_KEY.split("-")[0]


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _few_attempts(settings):
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = MAX_ATTEMPTS
    settings.SHUUP_MAILCHIMP_DISPATCH = "inline"


@pytest.fixture
def hostile(emulator, audience, shop):
    """An initialized shop on the hostile tables' key and webhook secret. The emulator accepts
    that key only (a revoked key is any other well-formed one) and only data centre us1."""
    from shuup_mailchimp.sync.store import initialize_store

    emulator.datacenter = "us1"
    shop_settings = T.enable_shop(emulator, shop, audience["id"])
    initialize_store(shop_settings)
    shop_settings.refresh_from_db()
    return shop_settings


class _RolledBack(Exception):
    pass


def refusal_without_the_addon(email, first, last):
    """The error the database itself gives for these values with the addon recording nothing, or None.

    PostgreSQL refuses NUL bytes and values longer than Shuup's own columns (SQLite stores them):
    such a save fails in Shuup whatever the addon does.
    """
    try:
        with transaction.atomic(), outbox.recording_suppressed():
            PersonContact.objects.create(first_name=first, last_name=last, email=email)
            raise _RolledBack()
    except _RolledBack:
        return None
    except (DataError, ValueError) as error:
        return error


def save_contact(shop, email, first="Hostilia", last="Personova", permission=True):
    """Create and attach a contact the way a shop does. Any exception here fails the case, except the
    database's own refusal of the values, which must then be exactly what the shop gets without the
    addon (the case is skipped after that check: there is no contact to sync)."""
    refusal = refusal_without_the_addon(email, first, last)
    if refusal is not None:
        with pytest.raises(type(refusal)), transaction.atomic():
            PersonContact.objects.create(first_name=first, last_name=last, email=email,
                                         marketing_permission=permission)
        pytest.skip("%s refuses these values without the addon too: %s" % (connection.vendor, refusal))
    contact = PersonContact.objects.create(first_name=first, last_name=last, email=email,
                                           marketing_permission=permission)
    contact.add_to_shop(shop)
    return contact


def contact_item(contact):
    return MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT, object_id=contact.pk).first()


def settle(rounds=MAX_ATTEMPTS + 3):
    """Run the outbox (backoff ignored) until nothing is pending; the number of runs it took."""
    for n in range(rounds):
        if not MailchimpSyncItem.objects.filter(status=SyncStatus.PENDING).exists():
            return n
        process_due(ignore_backoff=True, log=False)
    return rounds


def members_snapshot(emulator, audience_id):
    return emulator.snapshot()["lists"][audience_id]["members"]


def normalized_hash(email):
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


def assert_ended(item):
    """Synced, or failed with a reason after a bounded number of attempts; never left pending."""
    item.refresh_from_db()
    assert item.status in (SyncStatus.SYNCED, SyncStatus.FAILED), item.status
    assert item.attempts <= MAX_ATTEMPTS
    if item.status == SyncStatus.FAILED:
        assert item.last_error_title.strip(), "a failed item says why"
    return item


def assert_no_secret_in_rows():
    texts = []
    for row in MailchimpLogEntry.objects.all():
        texts.append(" ".join(str(v) for v in (row.path, row.error_title, row.error_detail, row.message)))
    for item in MailchimpSyncItem.objects.all():
        texts.append(" ".join(str(v) for v in (item.last_error_title, item.last_error_detail, item.note,
                                                json.dumps(item.state, default=str))))
    blob = "\n".join(texts)
    for secret in (T.API_KEY, KEY_HEX, T.WEBHOOK_SECRET):
        assert secret not in blob


def failed_call_rows():
    return MailchimpLogEntry.objects.filter(success=False)


# --- 1. emails: normalized, refused with a reason, or uncertain but never stuck ----------------


@pytest.mark.django_db
@pytest.mark.parametrize("email", list(T.NORMALIZABLE_EMAILS.values()), ids=list(T.NORMALIZABLE_EMAILS))
def test_an_email_differing_in_case_or_spaces_syncs_under_the_normalized_hash(hostile, emulator, email):
    contact = save_contact(hostile.shop, email)
    item = assert_ended(contact_item(contact))
    assert item.status == SyncStatus.SYNCED, item.last_error
    member = members_snapshot(emulator, hostile.audience_id).get(normalized_hash(email))
    assert member is not None, "the member sits under md5(trimmed, lowercased email)"
    assert member["email_address"] == email.strip()  # sent trimmed; Mailchimp keeps the case it is given
    assert member["email_address"].lower() == email.strip().lower()


@pytest.mark.django_db
@pytest.mark.parametrize("email", list(T.INVALID_EMAILS.values()), ids=list(T.INVALID_EMAILS))
def test_an_invalid_email_fails_once_with_mailchimps_reason(hostile, emulator, email):
    contact = save_contact(hostile.shop, email)
    item = assert_ended(contact_item(contact))
    assert item.status == SyncStatus.FAILED
    assert item.attempts == 1, "a refused address is not retried"
    assert item.last_error_status == 400 and item.last_error_title == "Invalid Resource"
    assert "email" in item.last_error.lower()
    assert normalized_hash(email) not in members_snapshot(emulator, hostile.audience_id)
    assert settle() == 0  # nothing left to retry


@pytest.mark.django_db
@pytest.mark.parametrize("email", list(T.UNCERTAIN_EMAILS.values()), ids=list(T.UNCERTAIN_EMAILS))
def test_an_unusual_email_syncs_or_fails_with_a_reason_and_is_never_stuck(hostile, emulator, email):
    contact = save_contact(hostile.shop, email)
    settle()
    item = assert_ended(contact_item(contact))
    if item.status == SyncStatus.SYNCED:
        member = members_snapshot(emulator, hostile.audience_id).get(normalized_hash(email))
        assert member is not None and member["email_address"].lower() == email.strip().lower()
    else:
        assert item.last_error_status == 400 or item.last_error_title
        assert item.attempts == 1 or item.note.startswith("gave up")


@pytest.mark.django_db
@pytest.mark.parametrize("email", list(T.EMPTY_EMAILS.values()), ids=list(T.EMPTY_EMAILS))
def test_a_contact_without_an_address_saves_and_sends_nothing(hostile, emulator, email):
    before = len(members_snapshot(emulator, hostile.audience_id))
    contact = save_contact(hostile.shop, email)
    item = contact_item(contact)
    if item is not None:  # recorded, then skipped with a note
        item = assert_ended(item)
        assert item.status == SyncStatus.SYNCED and "no email" in item.note
    assert len(members_snapshot(emulator, hostile.audience_id)) == before


@pytest.mark.django_db
@pytest.mark.parametrize("pair", list(T.SAME_MEMBER_PAIRS.values()), ids=list(T.SAME_MEMBER_PAIRS))
def test_two_contacts_whose_emails_differ_only_in_case_or_spaces_are_one_member(hostile, emulator, pair):
    before = len(members_snapshot(emulator, hostile.audience_id))
    contacts = [save_contact(hostile.shop, email, first="Twin%d" % n) for n, email in enumerate(pair)]
    for contact in contacts:
        assert assert_ended(contact_item(contact)).status == SyncStatus.SYNCED
    found = members_snapshot(emulator, hostile.audience_id)
    assert len(found) == before + 1
    assert normalized_hash(pair[0]) == normalized_hash(pair[1]) and normalized_hash(pair[0]) in found


@pytest.mark.django_db
@pytest.mark.parametrize("edit", list(T.EMAIL_EDITS.values()), ids=list(T.EMAIL_EDITS))
def test_editing_an_email_only_in_case_or_spaces_keeps_the_same_member_and_customer(hostile, emulator, edit):
    contact = save_contact(hostile.shop, edit[0])
    assert assert_ended(contact_item(contact)).status == SyncStatus.SYNCED
    contact.email = edit[1]
    contact.save()
    item = assert_ended(contact_item(contact))
    assert item.status == SyncStatus.SYNCED, item.last_error
    assert not item.state.get("email_changes"), "not treated as a new address"
    found = members_snapshot(emulator, hostile.audience_id)
    assert normalized_hash(edit[1]) in found
    assert sum(1 for m in found.values() if m["email_address"].lower() == edit[1].strip().lower()) == 1


# --- 2. names --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("names", list(T.HOSTILE_NAMES.values()), ids=list(T.HOSTILE_NAMES))
def test_a_hostile_name_never_breaks_the_save_and_ends_synced_or_failed(hostile, emulator, names):
    first, last = names
    contact = save_contact(hostile.shop, "hostile.person@mailbox.org", first=first, last=last)
    settle()
    item = assert_ended(contact_item(contact))
    if item.status == SyncStatus.SYNCED:
        member = members_snapshot(emulator, hostile.audience_id)[normalized_hash("hostile.person@mailbox.org")]
        assert member["merge_fields"]["FNAME"] in (first, first[:255])  # sent as is, or cut to Mailchimp's size
    assert_no_secret_in_rows()


# --- 3. API keys -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(T.BAD_KEYS.values()), ids=list(T.BAD_KEYS))
def test_a_bad_or_revoked_key_fails_the_item_once_with_a_reason(hostile, emulator, case):
    key, reason = case
    MailchimpShopSettings.objects.filter(pk=hostile.pk).update(api_key=key)
    writes = emulator.stats.get("writes", 0)
    contact = save_contact(hostile.shop, "hostile.key@mailbox.org")  # must not raise
    settle()
    if not key:  # no key: the integration is inactive, nothing is even queued
        assert contact_item(contact) is None and MailchimpShopSettings.objects.active().count() == 0
        return
    item = assert_ended(contact_item(contact))
    assert item.status == SyncStatus.FAILED
    assert item.attempts == 1, "a refused key is not retried"
    assert item.last_error_title == reason
    assert emulator.stats.get("writes", 0) == writes
    for secret in (key, key.split("-")[0]):
        if len(secret) >= 8:
            assert secret not in item.last_error and secret not in item.note
    assert_no_secret_in_rows()


# --- 4. Mailchimp's odd answers, at the client -----------------------------------------------------


@pytest.fixture
def records():
    return []


@pytest.fixture
def api(records, settings):
    settings.SHUUP_MAILCHIMP_API_URL = BASE
    return MailchimpClient(T.API_KEY, recorder=records.append, shop_id=1)


def _reply(status, body_name):
    body, content_type = T.ODD_BODIES[body_name]
    reply = dict(status=status, body=body.encode("utf-8", "surrogatepass") if body else b"")
    if content_type:
        reply["content_type"] = content_type
    return reply


def _assert_clean_error(error, records, status):
    assert isinstance(error, mc_exceptions.MailchimpError)
    assert error.title.strip(), "every error has a title"
    assert isinstance(error.__cause__, Exception)  # raise ... from the original
    for text in (str(error), repr(error), error.describe(), repr(error.args)):
        assert T.API_KEY not in text and KEY_HEX not in text
    assert records and records[-1].error is error and records[-1].status_code == status


ODD_ERROR_CASES = [(s, b) for s in T.ERROR_STATUSES for b in T.ODD_BODIES]


@pytest.mark.parametrize("status, body_name", ODD_ERROR_CASES, ids=["%s-%s" % c for c in ODD_ERROR_CASES])
@responses.activate
def test_an_error_status_with_an_odd_body_is_one_classified_error(api, records, status, body_name):
    responses.add(responses.PUT, BASE + "lists/l1/members/" + members.subscriber_hash("a@mailbox.org"),
                  **_reply(status, body_name))
    expected_class, transient = T.ERROR_STATUSES[status]
    with pytest.raises(mc_exceptions.MailchimpError) as info:
        members.upsert_member(api, "l1", "a@mailbox.org", {"email_address": "a@mailbox.org"})
    error = info.value
    assert type(error).__name__ == expected_class
    assert error.is_transient is transient and error.status == status
    _assert_clean_error(error, records, status)


ODD_SUCCESS_CASES = [(s, b) for s in T.SUCCESS_STATUSES for b in T.ODD_BODIES]


@pytest.mark.parametrize("status, body_name", ODD_SUCCESS_CASES, ids=["%s-%s" % c for c in ODD_SUCCESS_CASES])
@pytest.mark.parametrize("method", ["GET", "PUT"])
@responses.activate
def test_a_success_status_with_garbage_is_an_unexpected_answer_not_a_result(api, records, status, body_name,
                                                                           method):
    path = "lists/l1/members/" + members.subscriber_hash("a@mailbox.org")
    responses.add(getattr(responses, method), BASE + path, **_reply(status, body_name))
    with pytest.raises(mc_exceptions.MailchimpTransientError) as info:
        api.request("members.%s" % method.lower(), method, path, body={"email_address": "a@mailbox.org"})
    error = info.value
    assert error.title == "Unexpected answer", "not 'could not be reached': Mailchimp (or a proxy) did answer"
    _assert_clean_error(error, records, status)


PROBLEM_STATUSES = [400, 401, 403, 404, 422, 429, 500, 503]


@pytest.mark.parametrize("status", PROBLEM_STATUSES)
@responses.activate
def test_a_problem_document_echoing_the_key_and_the_secret_is_redacted(records, settings, status):
    from shuup_mailchimp.client import client_for

    settings.SHUUP_MAILCHIMP_API_URL = BASE
    shop_settings = MailchimpShopSettings(api_key=T.API_KEY, webhook_secret=T.WEBHOOK_SECRET, shop_id=1)
    client = client_for(shop_settings, log=False)
    client.recorder = records.append
    body = {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Echo %s" % T.API_KEY,
            "status": status, "instance": "",
            "detail": "Key %s, URL https://shop/mailchimp/webhook/1/%s/" % (T.API_KEY, T.WEBHOOK_SECRET),
            "errors": [{"field": "url", "message": "bad %s %s" % (T.WEBHOOK_SECRET, T.API_KEY)}]}
    responses.add(responses.POST, BASE + "lists/l1/webhooks", status=status, json=body,
                  content_type="application/problem+json")
    with pytest.raises(mc_exceptions.MailchimpError) as info:
        client.post("webhooks.create", "lists/l1/webhooks", {"url": "https://shop/x/"})
    error = info.value
    texts = [str(error), repr(error), error.describe(), error.title, error.detail, repr(error.errors),
             repr(error.args)]
    for text in texts:
        for secret in (T.API_KEY, KEY_HEX, T.WEBHOOK_SECRET):
            assert secret not in text
    assert "***" in error.detail and error.status == status


# --- 5. Mailchimp's odd answers through the sync: bounded, recorded -------------------------------

#: (status, body name or a problem document, transient?)
SYNC_ODD_ANSWERS = {
    "200-html": (200, "html", True),
    "200-empty": (200, "empty", True),
    "200-truncated-json": (200, "truncated-json", True),
    "200-garbage": (200, "garbage", True),
    "200-json-list": (200, "json-list", True),
    "200-json-null": (200, "json-null", True),
    "502-proxy-html": (502, "html", True),
    "503-empty": (503, "empty", True),
    "500-huge-html": (500, "huge-html", True),
    "429-bodiless": (429, "empty", True),
    "403-bodiless": (403, "empty", True),
    "401-key-echo": (401, {"title": "API Key Invalid", "detail": "Key %s is invalid" % T.API_KEY}, False),
    "400-secret-echo": (400, {"title": "Invalid Resource",
                              "detail": "URL .../%s/ and key %s" % (T.WEBHOOK_SECRET, T.API_KEY)}, False),
    "403-forbidden": (403, {"title": "Forbidden", "detail": "User disabled."}, False),
    "405-html": (405, "html", False),
    "422-garbage": (422, "garbage", False),
}


@pytest.fixture
def member_put_answers(emulator, monkeypatch):
    """Member PUTs get the answer the test sets; everything else is the emulator's."""
    real = emulator.handle
    answer = {}
    calls = []

    def handle(method, path, query_string, headers, body):
        if method.upper() == "PUT" and "/members/" in path and answer:
            calls.append(path)
            return answer["status"], answer["headers"], answer["body"]
        return real(method, path, query_string, headers, body)

    def set_answer(status, body):
        if isinstance(body, dict):
            problem = dict(type="https://mailchimp.com/developer/marketing/docs/errors/", status=status,
                           instance="", **body)
            answer.update(status=status, headers={"Content-Type": "application/problem+json"},
                          body=json.dumps(problem).encode("utf-8"))
        else:
            text, content_type = T.ODD_BODIES[body]
            answer.update(status=status, headers={"Content-Type": content_type} if content_type else {},
                          body=text.encode("utf-8"))

    monkeypatch.setattr(emulator, "handle", handle)
    set_answer.calls = calls
    return set_answer


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(SYNC_ODD_ANSWERS.values()), ids=list(SYNC_ODD_ANSWERS))
def test_an_odd_answer_during_a_sync_ends_failed_with_a_reason_after_bounded_attempts(
        hostile, emulator, member_put_answers, case):
    status, body, transient = case
    member_put_answers(status, body)
    contact = save_contact(hostile.shop, "hostile.odd@mailbox.org")  # must not raise
    # (creating the contact and adding it to the shop are two changes: each may make one try)
    calls_before, attempts_before = len(member_put_answers.calls), contact_item(contact).attempts
    settle()
    item = assert_ended(contact_item(contact))
    assert item.status == SyncStatus.FAILED
    assert item.last_error_status == status
    if transient:
        assert item.attempts == MAX_ATTEMPTS and item.note == "gave up after %d attempts" % MAX_ATTEMPTS
    else:
        assert item.attempts == 1
    assert len(member_put_answers.calls) - calls_before == item.attempts - attempts_before, \
        "one member write per attempt, no hidden retries"
    assert len(member_put_answers.calls) <= 2 * MAX_ATTEMPTS
    assert failed_call_rows().filter(operation="members.upsert").count() == len(member_put_answers.calls)
    assert_no_secret_in_rows()


# --- 6. the webhook endpoint -----------------------------------------------------------------------


def _path(shop_settings, token=None, shop_id=None):
    path = webhook_path(shop_settings)
    if token is not None:
        path = path.replace(shop_settings.webhook_secret, token)
    if shop_id is not None:
        path = path.replace("/%d/" % shop_settings.shop_id, "/%s/" % shop_id)
    return path


def _post_form(path, form):
    return Client().post(path, urlencode(form), content_type="application/x-www-form-urlencoded")


@pytest.fixture
def subscriber(hostile):
    contact = save_contact(hostile.shop, "hostile.hook@mailbox.org")
    assert contact_item(contact).status == SyncStatus.SYNCED
    return contact


def _fill(form, contact, shop_settings):
    return {k: v.replace("{email}", contact.email).replace("{list_id}", shop_settings.audience_id)
            for k, v in form.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("token", list(T.WRONG_TOKENS.values()), ids=list(T.WRONG_TOKENS))
def test_a_wrong_token_is_404_and_stores_nothing(hostile, subscriber, method, token):
    form = {"type": "unsubscribe", "data[email]": subscriber.email, "data[list_id]": hostile.audience_id}
    client = Client()
    path = _path(hostile, token=token)
    response = client.get(path) if method == "get" else client.post(
        path, urlencode(form), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404
    assert T.WEBHOOK_SECRET not in response.content.decode("utf-8", "replace")
    assert not MailchimpWebhookEvent.objects.exists()
    subscriber.refresh_from_db()
    assert subscriber.marketing_permission is True


@pytest.mark.django_db
@pytest.mark.parametrize("shop_id", ["999999", "0", "other"])
def test_the_right_token_for_another_shop_is_404(hostile, subscriber, shop_id):
    from shuup.testing import factories

    if shop_id == "other":  # a second shop with its own settings (and its own secret)
        other = factories.get_shop(identifier="hostile-other", domain="other.example-shop.com")
        shop_id = str(MailchimpShopSettings.for_shop(other).shop_id)
        MailchimpShopSettings.for_shop(other).save()
    form = {"type": "unsubscribe", "data[email]": subscriber.email, "data[list_id]": hostile.audience_id}
    assert _post_form(_path(hostile, shop_id=shop_id), form).status_code == 404
    assert not MailchimpWebhookEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_other_methods_are_refused(hostile, method):
    response = getattr(Client(), method)(_path(hostile))
    assert response.status_code == 405
    assert not MailchimpWebhookEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("form", list(T.MALFORMED_FORMS.values()), ids=list(T.MALFORMED_FORMS))
def test_a_malformed_form_is_400_kept_raw_and_not_applied(hostile, subscriber, form):
    response = _post_form(_path(hostile), _fill(form, subscriber, hostile))
    assert response.status_code == 400
    assert T.WEBHOOK_SECRET not in response.content.decode("utf-8", "replace")
    event = MailchimpWebhookEvent.objects.get()
    assert event.status == WebhookStatus.INVALID and event.error.strip()
    assert event.body == urlencode(_fill(form, subscriber, hostile))  # the raw body, as received
    subscriber.refresh_from_db()
    assert subscriber.marketing_permission is True


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(T.MALFORMED_BODIES.values()), ids=list(T.MALFORMED_BODIES))
def test_a_body_that_is_no_form_is_400_and_kept_raw(hostile, subscriber, case):
    content_type, body = case
    raw = body.encode("latin-1")
    response = Client().post(_path(hostile), raw, content_type=content_type)
    assert response.status_code == 400
    event = MailchimpWebhookEvent.objects.get()
    assert event.status == WebhookStatus.INVALID and event.error.strip()
    assert event.body == raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")  # NUL: PostgreSQL
    subscriber.refresh_from_db()
    assert subscriber.marketing_permission is True


@pytest.mark.django_db
@pytest.mark.parametrize("size", list(T.OVERSIZED.values()), ids=list(T.OVERSIZED))
def test_an_oversized_body_is_413_and_not_stored(hostile, subscriber, size):
    form = {"type": "profile", "data[email]": subscriber.email, "data[list_id]": hostile.audience_id}
    body = urlencode(form) + "&data[merges][FNAME]=" + "x" * size
    response = Client().post(_path(hostile), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert not MailchimpWebhookEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("values", list(T.HOSTILE_EVENT_VALUES.values()), ids=list(T.HOSTILE_EVENT_VALUES))
@pytest.mark.parametrize("two_way", [False, True], ids=["one-way", "two-way"])
def test_a_well_formed_event_with_hostile_values_is_stored_and_ends_with_a_status(hostile, subscriber, values,
                                                                                  two_way):
    from shuup_mailchimp.sync.inbound import process_received

    MailchimpShopSettings.objects.filter(pk=hostile.pk).update(two_way_sync=two_way)
    form = {"type": "profile", "fired_at": "2026-01-01 10:00:00", "data[email]": subscriber.email,
            "data[list_id]": hostile.audience_id, "data[merges][EMAIL]": subscriber.email}
    form.update(values)
    response = _post_form(_path(hostile), form)
    assert response.status_code == 200
    process_received()
    event = MailchimpWebhookEvent.objects.get()
    assert event.status in (WebhookStatus.APPLIED, WebhookStatus.SKIPPED, WebhookStatus.FAILED)
    if event.status == WebhookStatus.FAILED:
        assert event.error.strip()
    subscriber.refresh_from_db()
    for name in ("first_name", "last_name", "name"):
        limit = PersonContact._meta.get_field(name).max_length
        assert len(getattr(subscriber, name) or "") <= limit, "a name Shuup's column cannot hold"
    if not two_way:
        assert subscriber.first_name == "Hostilia"


@pytest.mark.django_db
def test_a_refused_webhook_never_logs_its_url(hostile, subscriber, caplog):
    """Django logs "Bad Request: <path>" for a 4xx, and the path holds the shop's secret token."""
    caplog.set_level(logging.DEBUG)
    _post_form(_path(hostile), {"type": "nonsense"})
    _post_form(_path(hostile), {"type": "profile", "x": "y" * (70 * 1024)})
    Client().post(_path(hostile), b"--x", content_type="multipart/form-data; boundary=")
    Client().put(_path(hostile), b"type=unsubscribe")
    Client().delete(_path(hostile))
    assert caplog.records, "the refusals are logged"
    for record in caplog.records:
        assert T.WEBHOOK_SECRET not in record.getMessage()
    assert T.WEBHOOK_SECRET not in caplog.text


# --- 7. hostile values shown back in the admin ------------------------------------------------------

XSS_NAMES = {k: T.HOSTILE_NAMES[k] for k in ("html-script", "crlf-injection", "rtl-override")}


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["items", "item", "failed-items", "contact", "dashboard"])
@pytest.mark.parametrize("names", list(XSS_NAMES.values()), ids=list(XSS_NAMES))
def test_a_hostile_name_or_error_is_shown_escaped_in_the_admin(hostile, emulator, member_put_answers, admin_client,
                                                              page, names):
    first, last = names
    # Mailchimp's error quotes the value back, as its "X looks fake or invalid" does.
    member_put_answers(400, {"title": "Invalid Resource", "detail": "%s %s looks fake or invalid." % (first, last)})
    contact = save_contact(hostile.shop, "hostile.person@mailbox.org", first=first, last=last)
    item = assert_ended(contact_item(contact))
    assert item.status == SyncStatus.FAILED and first in item.last_error_detail
    base = "/sa/mailchimp/shop/%d/" % hostile.shop.pk
    url = {"items": base + "items/", "item": base + "items/%d/" % item.pk,
           "failed-items": base + "items/?status=failed", "contact": "/sa/contacts/%d/" % contact.pk,
           "dashboard": base}[page]
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode("utf-8")
    for raw in (first, last):
        if "<" in raw:
            assert raw not in html, "shown unescaped"
    assert "<script>alert(1)</script>" not in html and "onerror=alert(2)>" not in html
    if page == "item" and first.startswith("<script>"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, escaped


# --- 8. the newsletter sign-up box: a public form ---------------------------------------------------

ALL_EMAILS = dict(
    [("normalizable-" + k, (v, "ok")) for k, v in T.NORMALIZABLE_EMAILS.items()]
    # example.com is a valid address to Django's form; Mailchimp refuses it later (the item fails)
    + [("invalid-" + k, (v, "either" if k == "fake-domain" else "refused")) for k, v in T.INVALID_EMAILS.items()]
    + [("uncertain-" + k, (v, "either")) for k, v in T.UNCERTAIN_EMAILS.items()]
    + [("empty-" + k, (v, "refused")) for k, v in T.EMPTY_EMAILS.items()]
    + [("oversized", ("a" * 300 + "@mailbox.org", "refused"))]
)


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(ALL_EMAILS.values()), ids=list(ALL_EMAILS))
def test_the_signup_box_answers_a_hostile_email_clearly(hostile, emulator, case):
    from django.core.cache import cache
    from django.urls import reverse

    from shuup_mailchimp.models import MailchimpSignup
    from shuup_mailchimp.sync.signup import sign_consent

    cache.clear()  # the per-IP rate limit
    email, expected = case
    data = {"email": email, "consent": "1", "consent_ref": sign_consent("Email me."), "next": "/", "website": ""}
    response = Client(HTTP_ACCEPT="application/json").post(reverse("shuup:mailchimp_signup"), data)
    assert response.status_code in (200, 400), "a clear answer, never a 500"
    answer = response.json()
    assert answer["message"].strip()
    if expected != "either":
        assert answer["ok"] is (expected == "ok") and response.status_code == (200 if expected == "ok" else 400)
    if not answer["ok"]:
        assert not MailchimpSignup.objects.exists()
        return
    settle()
    for item in MailchimpSyncItem.objects.all():
        assert_ended(item)
    if expected == "ok":
        member = members_snapshot(emulator, hostile.audience_id).get(normalized_hash(email))
        assert member is not None and member["email_address"].lower() == email.strip().lower()


# --- 9. guest orders with hostile emails -------------------------------------------------------------

GUEST_EMAILS = dict(
    [("normalizable-" + k, (v, "ok")) for k, v in T.NORMALIZABLE_EMAILS.items()]
    # Whether Mailchimp takes an order whose new customer has a refused address is not known
    # (the emulator does not check a customer's email): synced, or failed with a reason.
    + [("invalid-" + k, (v, "either")) for k, v in T.INVALID_EMAILS.items()]
)


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(GUEST_EMAILS.values()), ids=list(GUEST_EMAILS))
def test_a_guest_order_with_a_hostile_email_saves_and_ends_with_a_reason(hostile, emulator, case):
    from shuup.testing import factories

    from shuup_mailchimp.sync.outbox import record
    from shuup_mailchimp.sync.processing import process_items

    email, expected = case
    product = factories.create_product("hostile-sku", shop=hostile.shop, supplier=factories.get_default_supplier(),
                                       default_price=10)
    MailchimpShopSettings.objects.filter(pk=hostile.pk).update(enabled=False)  # placed, then made a guest order
    buyer = save_contact(hostile.shop, "hostile.buyer@mailbox.org")
    order = factories.create_random_order(customer=buyer, products=[product], shop=hostile.shop,
                                          random_products=False)
    order.customer = order.orderer = None
    order.email = email
    order.save()  # must not raise
    MailchimpShopSettings.objects.filter(pk=hostile.pk).update(enabled=True)
    process_items(record([hostile.shop_id], SyncKind.ORDER, order.pk))
    settle()
    item = assert_ended(MailchimpSyncItem.objects.get(kind=SyncKind.ORDER, object_id=order.pk))
    remote = emulator.snapshot()["stores"][hostile.store_id]["orders"].get(str(order.pk))
    if expected == "ok":
        assert item.status == SyncStatus.SYNCED, item.last_error
        assert remote["customer"]["id"] == "guest-" + normalized_hash(email)  # one guest per normalized address
        assert remote["customer"]["email_address"] == email.strip()
    elif item.status == SyncStatus.SYNCED:
        assert remote is not None
    else:
        assert remote is None and item.last_error_title


# --- 10. "Check connection" in the admin while Mailchimp answers oddly ---------------------------

CHECK_ANSWERS = {
    "200-html": (200, "html", "having trouble"),
    "200-empty": (200, "empty", "having trouble"),
    "200-truncated-json": (200, "truncated-json", "having trouble"),
    "200-json-list": (200, "json-list", "having trouble"),
    "502-proxy-html": (502, "html", "having trouble"),
    "503-huge-html": (503, "huge-html", "having trouble"),
    "401-key-echo-html": (401, "key-echo-html", "refused the API key"),
    "403-bodiless": (403, "empty", "having trouble"),
    "404-html": (404, "html", "Mailchimp"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(CHECK_ANSWERS.values()), ids=list(CHECK_ANSWERS))
def test_check_connection_says_what_mailchimp_answered_in_words(hostile, emulator, monkeypatch, admin_client, case):
    from django.contrib.messages import get_messages

    status, body_name, expected = case
    text, content_type = T.ODD_BODIES[body_name]
    monkeypatch.setattr(emulator, "handle", lambda *args: (
        status, {"Content-Type": content_type} if content_type else {}, text.encode("utf-8")))
    response = admin_client.post("/sa/mailchimp/shop/%d/check-connection/" % hostile.shop.pk)
    assert response.status_code == 302
    messages = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert len(messages) == 1 and messages[0][0] == "error"
    said = messages[0][1]
    assert expected in said
    assert "could not be reached" not in said, "Mailchimp (or a proxy) did answer"
    assert "<html" not in said.lower() and len(said) < 1000, "the page itself is not pasted into the message"
    for secret in (T.API_KEY, KEY_HEX, T.WEBHOOK_SECRET):
        assert secret not in said


# --- 11. batch results archives (the full sync): garbage becomes a bounded, classified error -------


def _tar_gz(members):
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _gz(data):
    import gzip

    return gzip.compress(data)


GOOD_ENTRY = {"status_code": 200, "operation_id": "contact_1", "response": json.dumps({"status": "subscribed"})}
ARCHIVES = {
    "html-page": b"<html><body>Access denied</body></html>",
    "empty-body": b"",
    "gzip-not-tar": _gz(b"just some text"),
    "truncated-gzip": _tar_gz({"r.json": json.dumps([GOOD_ENTRY]).encode()})[:40],
    "member-not-json": _tar_gz({"r.json": b"{not json"}),
    "member-truncated-json": _tar_gz({"r.json": b'[{"status_code": 200, "operation_id": "con'}),
    "member-an-object": _tar_gz({"r.json": b'{"status_code": 200}'}),
    "member-array-of-strings": _tar_gz({"r.json": b'["a", "b"]'}),
    "status-code-not-a-number": _tar_gz({"r.json": json.dumps([dict(GOOD_ENTRY, status_code="OK")]).encode()}),
    "member-latin1": _tar_gz({"r.json": '[{"operation_id": "contact_1", "response": "j\xf6rg"}]'.encode("latin-1")}),
}
#: Odd but readable: entries come out, well typed.
READABLE_ARCHIVES = {
    "response-an-object": (_tar_gz({"r.json": json.dumps([dict(GOOD_ENTRY, response={"status": "x"})]).encode()}), 1),
    "response-null": (_tar_gz({"r.json": json.dumps([dict(GOOD_ENTRY, response=None)]).encode()}), 1),
    "no-json-members": (_tar_gz({"readme.txt": b"hello"}), 0),
    "empty-array": (_tar_gz({"r.json": b"[]"}), 0),
}


@pytest.mark.parametrize("body", list(ARCHIVES.values()), ids=list(ARCHIVES))
@responses.activate
def test_an_unreadable_results_archive_is_a_transient_error_the_pipeline_bounds(api, records, body):
    from shuup_mailchimp.client import batches

    url = "https://mailchimp-results.test/results.tar.gz"
    responses.add(responses.GET, url, body=body, status=200)
    with pytest.raises(mc_exceptions.MailchimpTransientError) as info:
        list(batches.download_results(api, url))  # the full sync gives up after MAX_DOWNLOAD_FAILURES
    assert info.value.title == "Unreadable results" and info.value.detail


@pytest.mark.parametrize("case", list(READABLE_ARCHIVES.values()), ids=list(READABLE_ARCHIVES))
@responses.activate
def test_an_odd_but_readable_archive_gives_well_typed_entries(api, records, case):
    from shuup_mailchimp.client import batches

    body, count = case
    url = "https://mailchimp-results.test/results.tar.gz"
    responses.add(responses.GET, url, body=body, status=200)
    entries = list(batches.download_results(api, url))
    assert len(entries) == count
    for entry in entries:
        assert isinstance(entry["operation_id"], str) and isinstance(entry["status_code"], int)
        assert isinstance(entry["text"], str)
        batches.response_of(entry)  # never raises


@pytest.mark.parametrize("text", ["[1, 2]", '"ok"', "123", "true", "{not json", "<html>x</html>", "null", ""],
                         ids=["array", "string", "number", "bool", "broken", "html", "null", "empty"])
def test_a_batch_result_that_is_no_json_object_reads_as_a_dict_or_none(text):
    """plans.py reads ``(response_of(member) or {}).get("status")``: a list or a string must not reach it."""
    from shuup_mailchimp.client.batches import response_of

    decoded = response_of({"operation_id": "contact_1", "status_code": 200, "text": text})
    assert decoded is None or isinstance(decoded, dict)
    assert (decoded or {}).get("status") is None


# --- 12. consent: an unsubscribe reaches a contact whose address differs in case or spaces ---------

UNSUBSCRIBE_VARIANTS = {"as-sent": lambda e: e.strip(), "lower": lambda e: e.strip().lower(),
                        "upper": lambda e: e.strip().upper()}


@pytest.mark.django_db
@pytest.mark.parametrize("variant", list(UNSUBSCRIBE_VARIANTS), ids=list(UNSUBSCRIBE_VARIANTS))
@pytest.mark.parametrize("email", [T.NORMALIZABLE_EMAILS[k] for k in ("mixed-case", "leading-spaces",
                                                                      "tabs-newlines", "upper-case")],
                         ids=["mixed-case", "leading-spaces", "tabs-newlines", "upper-case"])
def test_an_unsubscribe_for_a_case_or_space_variant_withdraws_permission(hostile, emulator, email, variant):
    contact = save_contact(hostile.shop, email)
    assert contact_item(contact).status == SyncStatus.SYNCED
    form = {"type": "unsubscribe", "fired_at": "2026-01-01 10:00:00", "data[action]": "unsub",
            "data[email]": UNSUBSCRIBE_VARIANTS[variant](email), "data[list_id]": hostile.audience_id}
    assert _post_form(_path(hostile), form).status_code == 200
    contact.refresh_from_db()
    assert contact.marketing_permission is False, "the person's withdrawal reached the shop"
    event = MailchimpWebhookEvent.objects.get()
    assert event.status == WebhookStatus.APPLIED and event.contact_id == contact.pk


@pytest.mark.django_db
@pytest.mark.parametrize("pair", list(T.SAME_MEMBER_PAIRS.values()), ids=list(T.SAME_MEMBER_PAIRS))
def test_an_unsubscribe_reaches_every_contact_of_the_one_member(hostile, emulator, pair):
    """Two contacts whose addresses differ only in case or spaces are one Mailchimp member, one
    person: their withdrawal must reach both, or the other contact still says "may email"."""
    contacts = [save_contact(hostile.shop, email, first="Twin%d" % n) for n, email in enumerate(pair)]
    emulator.unsubscribe_as_person(hostile.audience_id, pair[0].strip())  # the person clicks the link
    form = {"type": "unsubscribe", "fired_at": "2026-01-01 10:00:00", "data[action]": "unsub",
            "data[email]": pair[0].strip().lower(), "data[list_id]": hostile.audience_id}
    assert _post_form(_path(hostile), form).status_code == 200
    for contact in contacts:
        contact.refresh_from_db()
        assert contact.marketing_permission is False, contact.email
    for contact in contacts:  # a later edit of either never re-subscribes the person
        contact.first_name += "!"
        contact.save()
    member = members_snapshot(emulator, hostile.audience_id)[normalized_hash(pair[0])]
    assert member["status"] == "unsubscribed"
