"""Secrets and personal data: the API key and the webhook token never appear in log rows, log
output, admin HTML, error messages, exceptions or Celery messages; customers' emails and names
never appear in log output at INFO or above.

Decision on the admin: the webhook URL carries the shop's secret token by design (Mailchimp does
not sign webhooks), so the admin does not show it at all, masked or not; operators get it from
``manage.py mailchimp_status --json`` (asserted below), and the admin registers it itself.
"""
import json
import logging
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client
from shuup.core.models import PersonContact

from shuup_mailchimp import MAILCHIMP3_LOGGER
from shuup_mailchimp.client import MailchimpClient, client_for, members
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.exceptions import MailchimpAuthError, MailchimpError
from shuup_mailchimp.models import MailchimpLogEntry, MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync.webhook_setup import webhook_path

from . import test_hostile_tables as T

KEY_HEX = T.API_KEY.split("-")[0]
SECRETS = (T.API_KEY, KEY_HEX, T.WEBHOOK_SECRET)
EMAIL, FIRST, LAST = "hostile.secret@mailbox.org", "Hostilia", "Personova"


@pytest.fixture
def hostile(emulator, audience, shop, settings):
    settings.SHUUP_MAILCHIMP_DISPATCH = "inline"
    return T.enable_shop(emulator, shop, audience["id"])


@pytest.fixture
def webhook_reachable(emulator):
    """The emulator's validation GET of the webhook URL succeeds: the webhook gets registered."""
    emulator.webhook_sender = lambda method, url, data, headers: 200


@pytest.fixture
def webhook_urls_echoed(emulator, monkeypatch):
    """Webhook creation is refused with an error quoting the URL (and so the token), as Mailchimp's
    "The URL ... did not return a valid response" does; other calls are the emulator's."""
    real = emulator.handle

    def handle(method, path, query_string, headers, body):
        if method.upper() == "POST" and path.rstrip("/").endswith("/webhooks"):
            url = json.loads(body.decode("utf-8"))["url"]
            problem = {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "status": 400,
                       "title": "Invalid Resource", "instance": "",
                       "detail": "The URL '%s' did not return a valid response." % url,
                       "errors": [{"field": "url", "message": "%s could not be validated" % url}]}
            return 400, {"Content-Type": "application/problem+json"}, json.dumps(problem).encode("utf-8")
        return real(method, path, query_string, headers, body)

    monkeypatch.setattr(emulator, "handle", handle)


@pytest.fixture
def sdk_logger_at_info():
    """As with DEBUG on, or a project whose LOGGING sets mailchimp3's logger to INFO."""
    sdk_logger = logging.getLogger(MAILCHIMP3_LOGGER)
    level = sdk_logger.level
    sdk_logger.setLevel(logging.INFO)
    yield sdk_logger
    sdk_logger.setLevel(level)


def run_a_shop(shop_settings):
    """Initialize the store (registers the webhook), sync a contact, fail one."""
    from shuup_mailchimp.sync.store import initialize_store

    initialize_store(shop_settings)
    contact = PersonContact.objects.create(first_name=FIRST, last_name=LAST, email=EMAIL, marketing_permission=True)
    contact.add_to_shop(shop_settings.shop)
    bad = PersonContact.objects.create(first_name=FIRST, last_name="Invalidova", email="hostile.bad@example.com",
                                       marketing_permission=True)
    bad.add_to_shop(shop_settings.shop)
    return contact


def _record_texts(records):
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        yield record, text


# --- log output ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("webhook", ["webhook_reachable", "webhook_urls_echoed"])
def test_log_output_never_holds_a_secret_and_no_personal_data_at_info(hostile, sdk_logger_at_info, caplog,
                                                                      request, webhook):
    request.getfixturevalue(webhook)
    caplog.set_level(logging.DEBUG)
    contact = run_a_shop(hostile)
    assert MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk).status == SyncStatus.SYNCED
    sdk_lines = [r for r in caplog.records if r.name == MAILCHIMP3_LOGGER]
    assert sdk_lines, "mailchimp3's lines are kept (at DEBUG), not thrown away"
    assert any("PAYLOAD" in r.getMessage() for r in sdk_lines)
    for record, text in _record_texts(caplog.records):
        for secret in SECRETS:
            assert secret not in text, (record.name, record.levelname)
        if record.levelno >= logging.INFO:
            for personal in (EMAIL, FIRST, LAST):
                assert personal not in text, (record.name, record.levelname)


@pytest.mark.django_db
def test_mailchimp3_lines_are_debug_even_when_its_logger_says_info(hostile, sdk_logger_at_info, caplog):
    caplog.set_level(logging.DEBUG)
    members.upsert_member(client_for(hostile), hostile.audience_id, EMAIL,
                          {"email_address": EMAIL, "status_if_new": "subscribed",
                           "merge_fields": {"FNAME": FIRST, "LNAME": LAST}})
    lines = [r for r in caplog.records if r.name == MAILCHIMP3_LOGGER]
    assert len(lines) >= 3  # request, payload, response
    assert all(r.levelno == logging.DEBUG and r.levelname == "DEBUG" for r in lines)


# --- log rows ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("webhook", ["webhook_reachable", "webhook_urls_echoed"])
def test_log_rows_never_hold_the_key_or_the_webhook_token(hostile, request, webhook):
    request.getfixturevalue(webhook)
    run_a_shop(hostile)
    rows = list(MailchimpLogEntry.objects.values())
    init = [r["message"] for r in rows if r["operation"] == "initialize_store"]
    assert init and ("webhook registered at" in init[0]) is (webhook == "webhook_reachable")
    blob = json.dumps(rows, default=str)
    for secret in SECRETS:
        assert secret not in blob
    items = json.dumps(list(MailchimpSyncItem.objects.values()), default=str)
    for secret in SECRETS:
        assert secret not in items


# --- exceptions and error messages ---------------------------------------------------------------


@pytest.mark.parametrize("key", [T.API_KEY.upper(), T.API_KEY + "\n", "x" + T.API_KEY, T.API_KEY + "€"],
                         ids=["upper-case", "newline", "prefixed", "unicode-suffix"])
def test_a_refused_key_is_not_in_the_exception(key):
    with pytest.raises(MailchimpAuthError) as info:
        MailchimpClient(key)
    for text in (str(info.value), repr(info.value), info.value.describe()):
        assert KEY_HEX not in text.lower()


@pytest.mark.django_db
def test_a_401_echoing_the_key_and_the_token_is_redacted_everywhere(hostile, emulator, monkeypatch):
    def handle(method, path, query_string, headers, body):
        problem = {"type": "x", "status": 401, "title": "API Key Invalid", "instance": "",
                   "detail": "Key %s (hook %s) is invalid." % (T.API_KEY, T.WEBHOOK_SECRET)}
        return 401, {"Content-Type": "application/problem+json"}, json.dumps(problem).encode("utf-8")

    monkeypatch.setattr(emulator, "handle", handle)
    with pytest.raises(MailchimpError) as info:
        members.get_member(client_for(hostile), hostile.audience_id, EMAIL)
    error = info.value
    for text in (str(error), repr(error), error.describe(), repr(error.args), str(error.__dict__)):
        for secret in SECRETS:
            assert secret not in text
    assert "***" in error.detail


# --- admin HTML ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/sa/mailchimp/", "dashboard", "items", "item", "log", "full-sync", "shop-edit",
                                  "contact"])
def test_admin_pages_never_show_the_key_or_the_webhook_token(hostile, admin_client, webhook_urls_echoed, page):
    contact = run_a_shop(hostile)
    shop = hostile.shop
    base = "/sa/mailchimp/shop/%d/" % shop.pk
    item = MailchimpSyncItem.objects.filter(shop=shop).order_by("-last_error_title").first()
    url = {"dashboard": base, "items": base + "items/", "item": base + "items/%d/" % item.pk,
           "log": base + "log/", "full-sync": base + "full-sync/", "shop-edit": "/sa/shops/%d/" % shop.pk,
           "contact": "/sa/contacts/%d/" % contact.pk}.get(page, page)
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode("utf-8")
    for secret in SECRETS:
        assert secret not in html


@pytest.mark.django_db
def test_admin_messages_after_initialize_never_show_the_token(hostile, admin_client, webhook_urls_echoed):
    from django.contrib.messages import get_messages

    response = admin_client.post("/sa/mailchimp/shop/%d/initialize-store/" % hostile.shop.pk)
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts
    for secret in SECRETS:
        assert all(secret not in text for text in texts)


@pytest.mark.django_db
def test_operators_get_the_webhook_url_from_mailchimp_status_json(hostile, capsys):
    call_command("mailchimp_status", "--shop", str(hostile.shop.pk), "--json")
    data = json.loads(capsys.readouterr().out)
    shown = json.dumps(data)
    assert T.WEBHOOK_SECRET in shown  # the one place meant for it
    assert T.API_KEY not in shown and KEY_HEX not in shown


# --- Celery messages -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_celery_task_messages_carry_ids_only(hostile, settings, monkeypatch):
    from kombu.utils.json import dumps

    from shuup_mailchimp import tasks

    settings.SHUUP_MAILCHIMP_DISPATCH = "celery"
    sent = []

    def capture(task):
        def apply_async(args=None, kwargs=None, **options):
            sent.append((task.name, args or (), kwargs or {}, options))
        return apply_async

    for task in (tasks.process_due, tasks.process_webhook):
        monkeypatch.setattr(task, "apply_async", capture(task))
    monkeypatch.setattr(tasks, "_last_kick", {"at": -1e9})
    contact = PersonContact.objects.create(first_name=FIRST, last_name=LAST, email=EMAIL, marketing_permission=True)
    contact.add_to_shop(hostile.shop)
    form = {"type": "unsubscribe", "fired_at": "2026-01-01 10:00:00", "data[email]": EMAIL,
            "data[list_id]": hostile.audience_id}
    assert Client().post(webhook_path(hostile), urlencode(form),
                         content_type="application/x-www-form-urlencoded").status_code == 200
    assert {name for name, *_ in sent} == {"shuup_mailchimp.process_due", "shuup_mailchimp.process_webhook"}
    for name, args, kwargs, options in sent:
        assert all(isinstance(a, int) for a in args) and all(isinstance(v, (int, type(None))) for v in kwargs.values())
        body = dumps([args, kwargs, options])
        for value in SECRETS + (EMAIL, FIRST, LAST):
            assert value not in body


# --- operators' commands -------------------------------------------------------------------------

CONFIGURE_KEYS = {k: v[0] for k, v in T.BAD_KEYS.items() if v[0] and k != "revoked" and k != "wrong-datacenter"}


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(CONFIGURE_KEYS.values()), ids=list(CONFIGURE_KEYS))
def test_configure_refuses_a_malformed_key_without_repeating_it(hostile, key):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as info:
        call_command("mailchimp_configure", "--shop", str(hostile.shop.pk), "--api-key", key)
    assert "API key" in str(info.value)
    for part in {key, key.split("-")[0], KEY_HEX}:
        if len(part) >= 8:
            assert part not in str(info.value) and part.lower() not in str(info.value).lower()
    assert MailchimpShopSettings.objects.get(pk=hostile.pk).api_key == T.API_KEY  # the saved key is kept


@pytest.mark.django_db
@pytest.mark.parametrize("key", [T.REVOKED_KEY, T.WRONG_DC_KEY], ids=["revoked", "wrong-datacenter"])
def test_check_says_the_key_was_refused_without_showing_it(hostile, emulator, capsys, key):
    from django.core.management.base import CommandError

    emulator.datacenter = "us1"
    MailchimpShopSettings.objects.filter(pk=hostile.pk).update(api_key=key)
    with pytest.raises(CommandError):
        call_command("mailchimp_check", "--shop", str(hostile.shop.pk))
    said = capsys.readouterr().out
    assert "refused the API key" in said
    for secret in (key, key.split("-")[0], T.WEBHOOK_SECRET):
        assert secret not in said
