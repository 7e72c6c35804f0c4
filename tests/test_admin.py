"""The admin UI, through real requests to ``/sa/...`` as a superuser, against the in-process emulator.

Permissions and shop isolation are in ``test_admin_access.py``; the browser run in ``browser/``.

The shop edit page is posted the way a browser would: every field of the rendered form is
read back from the HTML and sent again, with the Mailchimp fields changed.
"""
import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import requests
import responses
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from shuup.core.models import Contact
from shuup.testing import factories

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpLogEntry, MailchimpShopSettings, MailchimpSyncItem

from .conftest import API_KEY, EMULATOR_BASE

NEW_KEY = "fedcba9876543210fedcba9876543210-us1"
GRID = "/sa/mailchimp/"


def dash(shop, action=""):
    """A shop's Mailchimp dashboard, or one of its pages / actions (``items/``, ``check-connection/``...)."""
    return "/sa/mailchimp/shop/%d/%s" % (shop.pk, action)


# --- helpers -------------------------------------------------------------------------------


class _FormReader(HTMLParser):
    """Collects the values a browser would submit for the form with ``form_id``."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data[name] = attrs.get("value") or "on"
            elif kind not in ("submit", "button", "file"):
                self.data[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = (name, "multiple" in attrs)
            if not self._select[1]:
                self.data.setdefault(name, None)
        elif tag == "option" and self._select:
            name, multiple = self._select
            value = attrs.get("value", "")
            if "selected" in attrs and multiple:
                self.data.setdefault(name, []).append(value)
            elif "selected" in attrs:
                self.data[name] = value
            elif not multiple and self.data.get(name) is None:
                self.data[name] = value  # a browser submits the first option when none is selected
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def edit_url(shop):
    return "/sa/shops/%d/" % shop.pk


def shop_form_data(client, shop):
    response = client.get(edit_url(shop))
    assert response.status_code == 200
    reader = _FormReader("shop_form")
    reader.feed(response.content.decode("utf-8"))
    data = {k: v for k, v in reader.data.items() if v is not None}
    assert "mailchimp-api_key" in data and data["mailchimp-api_key"] == ""
    return data


def post_mailchimp(client, shop, **fields):
    """Post the shop edit page with these Mailchimp fields changed (``False`` unticks a checkbox)."""
    data = shop_form_data(client, shop)
    for name, value in fields.items():
        key = "mailchimp-%s" % name
        if value is False:
            data.pop(key, None)
        else:
            data[key] = "on" if value is True else value
    return client.post(edit_url(shop), data)


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def picotable(client, url, **filters):
    query = {"perPage": 50, "page": 1, "filters": filters}
    response = client.get(url, {"jq": json.dumps(query)})
    assert response.status_code == 200
    return response.json()


def stored(shop):
    return MailchimpShopSettings.objects.filter(shop=shop).first()


@pytest.fixture(autouse=True)
def _fresh_active_shops():
    """The per-process cache of enabled shops must not carry an earlier test's shop into this one."""
    from shuup_mailchimp.sync.outbox import forget_active_shops

    forget_active_shops()


@pytest.fixture
def client(shop, admin_user):
    """A superuser's client. Logging in needs a shop (Shuup's front middleware builds a basket)."""
    client = Client()
    client.force_login(admin_user)
    return client


# --- the Mailchimp tab of the shop edit page -----------------------------------------------


def test_shop_edit_page_has_mailchimp_tab_and_never_echoes_the_key(client, shop_settings):
    html = client.get(edit_url(shop_settings.shop)).content.decode("utf-8")
    assert 'id="mailchimp-settings"' in html
    assert 'name="mailchimp-api_key"' in html and 'type="password"' in html
    assert "cdef-us1 is saved; leave empty to keep it" in html
    assert API_KEY not in html
    assert API_KEY.split("-")[0] not in html
    assert shop_settings.audience_id in html  # the other fields are rendered back


def test_rendering_the_tab_creates_no_settings_row(client, shop):
    html = client.get(edit_url(shop)).content.decode("utf-8")
    assert "No key is saved" in html
    assert stored(shop) is None


def test_saving_a_new_key_stores_it_after_checking_it(client, shop, audience):
    response = post_mailchimp(client, shop, api_key=NEW_KEY, audience_id=audience["id"], enabled=True)
    assert response.status_code == 302, response.content.decode()[:2000]
    settings = stored(shop)
    assert settings.api_key == NEW_KEY and settings.audience_id == audience["id"] and settings.enabled
    check = MailchimpLogEntry.objects.filter(shop=shop, operation="check_connection").get()
    assert check.success
    assert NEW_KEY not in client.get(edit_url(shop)).content.decode("utf-8")


def test_an_empty_key_field_keeps_the_stored_key(client, shop_settings):
    response = post_mailchimp(client, shop_settings.shop, api_key="", two_way_sync=True)
    assert response.status_code == 302
    shop_settings.refresh_from_db()
    assert shop_settings.api_key == API_KEY
    assert shop_settings.two_way_sync is True
    # Nothing about the connection changed, so it was not checked again.
    assert not MailchimpLogEntry.objects.filter(operation="check_connection").exists()


def test_a_malformed_key_is_a_form_error(client, shop):
    response = post_mailchimp(client, shop, api_key="not-a-key", audience_id="abc123")
    assert response.status_code == 200
    html = response.content.decode("utf-8")
    assert "This is not a Mailchimp API key" in html
    assert "not-a-key" not in html
    assert stored(shop) is None


def test_an_unknown_audience_is_a_form_error_listing_the_audiences(client, shop, audience):
    response = post_mailchimp(client, shop, api_key=API_KEY, audience_id="nosuchlist")
    assert response.status_code == 200
    html = response.content.decode("utf-8")
    assert "does not exist" in html and "nosuchlist" in html
    assert audience["id"] in html  # the hint names the audiences that do exist
    assert API_KEY not in html
    assert stored(shop) is None


def test_a_refused_key_is_a_form_error(client, shop, emulator, audience):
    emulator.valid_keys = {NEW_KEY}
    response = post_mailchimp(client, shop, api_key=API_KEY, audience_id=audience["id"])
    assert response.status_code == 200
    assert "Mailchimp refused the API key" in response.content.decode("utf-8")
    assert stored(shop) is None


def test_network_trouble_saves_with_a_warning(client, shop):
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, re.compile(re.escape(EMULATOR_BASE) + ".*"), body=requests.ConnectionError("down"))
        response = post_mailchimp(client, shop, api_key=API_KEY, audience_id="abc123", enabled=True)
    assert response.status_code == 302
    assert stored(shop).api_key == API_KEY
    warnings = [text for level, text in messages_of(response) if level == "warning"]
    assert warnings and "could not be reached" in warnings[0]


def test_enabling_needs_a_key_and_an_audience(client, shop):
    response = post_mailchimp(client, shop, enabled=True)
    assert response.status_code == 200
    assert "Enter the API key and the audience id before enabling" in response.content.decode("utf-8")
    assert stored(shop) is None


def test_changing_the_audience_of_a_store_needs_the_store_id_cleared(client, initialized, emulator):
    other = emulator.create_list(name="Other audience")
    shop = initialized.shop
    response = post_mailchimp(client, shop, audience_id=other["id"])
    assert response.status_code == 200
    assert "cannot move a store" in response.content.decode("utf-8")
    initialized.refresh_from_db()
    assert initialized.audience_id != other["id"] and initialized.is_initialized

    response = post_mailchimp(client, shop, audience_id=other["id"], store_id="")
    assert response.status_code == 302
    initialized.refresh_from_db()
    assert initialized.audience_id == other["id"]
    assert initialized.store_id == "" and initialized.store_initialized_on is None
    assert initialized.interest_category_id == ""


# --- the shop's dashboard and its buttons ---------------------------------------------------


def test_dashboard_shows_masked_settings_counts_and_health(client, initialized):
    shop = initialized.shop
    MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.ORDER, object_id=1, status=SyncStatus.FAILED,
                                     last_error_status=400, last_error_title="Invalid Resource",
                                     last_error_detail="Invalid Resource: the order total is wrong")
    MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.ORDER, object_id=2, status=SyncStatus.FAILED)
    response = client.get(dash(shop))
    assert response.status_code == 200
    html = response.content.decode("utf-8")
    assert initialized.masked_api_key in html and API_KEY not in html
    assert initialized.store_id in html and initialized.audience_id in html
    order_row = re.search(r'<tr data-kind="order">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r">(\d+)<", order_row) == ["0", "0", "0", "2", "2"]  # pending processing synced failed total
    assert "items/?kind=order&amp;status=failed" in order_row  # each count links to the filtered list
    assert "Resend all failed (2)" in html
    assert "2 item(s) failed: see why." in html and "items/?status=failed" in html
    assert "Failed items &rarr;" in html and "See why" not in html  # not "see why. See why"
    # The latest errors say what happened, Mailchimp's message once, and what to do.
    errors = re.search(r'id="mailchimp-latest-errors"(.*?)</table>', html, re.S).group(1)
    assert "Mailchimp refused the data." in errors
    assert "400 Invalid Resource: the order total is wrong" in errors
    assert "Invalid Resource: Invalid Resource" not in html
    assert "Correct what the message names in Shuup, then resend." in errors
    assert "/sa/shops/%d/#mailchimp-settings" % shop.pk in html


def test_dashboard_says_mailchimp_is_unreachable_and_when_the_next_attempt_is(client, initialized):
    shop = initialized.shop
    MailchimpLogEntry.objects.create(shop=shop, operation="members.upsert", method="PUT", path="lists/x/members/y",
                                     success=False, error_title="Connection failed",
                                     error_detail="Connection failed: Mailchimp could not be reached: "
                                     "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded "
                                     "[Errno 111] Connection refused")
    soon = timezone.now() + timedelta(minutes=7)
    for n in range(3):
        MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.CONTACT, object_id=100 + n, attempts=2,
                                         status=SyncStatus.PENDING, next_attempt_at=soon,
                                         last_error_title="Connection failed")
    html = client.get(dash(shop)).content.decode("utf-8")
    health = re.search(r'id="mailchimp-health" data-level="(\w+)"(.*?)</div>\s*</div>', html, re.S)
    assert health.group(1) == "danger"
    text = re.sub(r"\s+", " ", health.group(2))
    assert "Mailchimp unreachable since" in text
    assert "the connection was refused" in text
    assert "3 item(s) waiting, next attempt at %s" % timezone.localtime(soon).strftime("%H:%M") in text
    assert "HTTPConnectionPool" not in text


def test_dashboard_of_an_unconfigured_shop(client, shop):
    html = client.get(dash(shop)).content.decode("utf-8")
    assert "Mailchimp is not configured for this shop yet" in html
    assert "Not connected yet" in html
    assert stored(shop) is None


def test_dashboard_shows_the_activity_chart(client, initialized):
    from shuup_mailchimp.models import MailchimpWebhookEvent

    MailchimpLogEntry.objects.create(shop=initialized.shop, operation="members.upsert", method="PUT", status_code=200)
    MailchimpWebhookEvent.objects.create(shop=initialized.shop, digest="d" * 64, event_type="unsubscribe")
    html = client.get(dash(initialized.shop)).content.decode("utf-8")
    assert 'id="chart-mailchimp-activity"' in html and 'CHART_CONFIGS["mailchimp-activity"]' in html
    config = json.loads(re.search(r'CHART_CONFIGS\["mailchimp-activity"\] = (\{.*?\});', html, re.S).group(1))
    totals = {d["label"]: sum(d["data"]) for d in config["data"]["datasets"]}
    assert totals["sent"] >= 1 and totals["webhooks received"] == 1


def test_check_connection_button_reports_success(client, shop_settings):
    shop = shop_settings.shop
    response = client.post(dash(shop, "check-connection/"))
    assert response.status_code == 302 and response["Location"] == dash(shop)
    msgs = messages_of(response)
    assert msgs == [("success", "Connected to Mailchimp account Shuup Mailchimp Emulator, audience Shop audience.")] \
        or (msgs[0][0] == "success" and "Connected to Mailchimp account" in msgs[0][1])


def test_check_connection_button_reports_a_missing_audience(client, shop_settings):
    MailchimpShopSettings.objects.filter(pk=shop_settings.pk).update(audience_id="gone4ever")
    response = client.post(dash(shop_settings.shop, "check-connection/"))
    assert response.status_code == 302
    msgs = messages_of(response)
    assert len(msgs) == 1 and msgs[0][0] == "error" and "does not exist" in msgs[0][1]


def test_check_connection_with_mailchimp_down_says_it_once_in_words(client, shop_settings):
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, re.compile(re.escape(EMULATOR_BASE) + ".*"), body=requests.ConnectionError(
            "HTTPConnectionPool(host='127.0.0.1', port=8765): Max retries exceeded with url: /3.0/ (Caused by "
            "NewConnectionError('<urllib3.connection.HTTPConnection object>: Failed to establish a new connection: "
            "[Errno 111] Connection refused'))"))
        response = client.post(dash(shop_settings.shop, "check-connection/"))
    msgs = messages_of(response)
    assert len(msgs) == 1 and msgs[0][0] == "error"
    text = msgs[0][1]
    assert "Mailchimp could not be reached at https://us1.api.mailchimp.test/3.0/: the connection was refused" in text
    assert "HTTPConnectionPool" not in text and "Errno" not in text and "Max retries" not in text
    assert text.count("could not be reached") == 1


def test_action_buttons_only_accept_post(client, shop_settings):
    shop = shop_settings.shop
    for action in ("check-connection/", "initialize-store/", "resend-failed/", "disconnect/", "queue-contact/"):
        assert client.get(dash(shop, action)).status_code == 405, action


def test_actions_need_the_csrf_token(shop_settings, admin_user):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_user)
    shop = shop_settings.shop
    for action in ("check-connection/", "initialize-store/", "resend-failed/", "disconnect/"):
        assert csrf_client.post(dash(shop, action)).status_code == 403, action
    shop_settings.refresh_from_db()
    assert shop_settings.enabled and not shop_settings.store_id


def test_initialize_store_button_creates_the_store(client, shop_settings, emulator):
    response = client.post(dash(shop_settings.shop, "initialize-store/"))
    assert response.status_code == 302
    shop_settings.refresh_from_db()
    assert shop_settings.is_initialized
    store = emulator.snapshot()["stores"][shop_settings.store_id]
    assert store["list_id"] == shop_settings.audience_id
    msgs = messages_of(response)
    assert msgs[0][0] == "success" and shop_settings.store_id in msgs[0][1] and "created" in msgs[0][1]


def test_initialize_store_button_explains_a_missing_configuration(client, shop, emulator):
    response = client.post(dash(shop, "initialize-store/"))
    assert response.status_code == 302
    msgs = messages_of(response)
    assert msgs[0][0] == "error" and "API key and the audience id" in msgs[0][1]
    assert emulator.snapshot()["stores"] == {}


def test_initialize_store_button_shows_mailchimp_errors(client, shop_settings, emulator):
    MailchimpShopSettings.objects.filter(pk=shop_settings.pk).update(audience_id="gone4ever")
    response = client.post(dash(shop_settings.shop, "initialize-store/"))
    msgs = messages_of(response)
    assert msgs[0][0] == "error" and "Audience not found" in msgs[0][1]


def test_disconnect_stops_syncing_and_keeps_the_store(client, initialized, emulator):
    shop = initialized.shop
    html = client.get(GRID).content.decode("utf-8")
    assert "return confirm(" in html and "Disconnect" in html  # the browser asks first
    response = client.post(dash(shop, "disconnect/"))
    assert response.status_code == 302
    initialized.refresh_from_db()
    assert not initialized.enabled
    assert initialized.api_key == API_KEY and initialized.store_id and initialized.is_initialized
    assert initialized.store_id in emulator.snapshot()["stores"]  # nothing deleted in Mailchimp
    assert messages_of(response)[0][0] == "warning"
    assert MailchimpLogEntry.objects.filter(shop=shop, operation="configure").exists()


# --- the integrations grid and Shuup's dashboard --------------------------------------------------


def test_grid_has_a_row_per_shop_with_state_and_counts(client, initialized):
    shop = initialized.shop
    other = factories.get_shop(identifier="other", domain="other.example.com", name="Other shop")
    MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.ORDER, object_id=1, status=SyncStatus.FAILED)
    MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.ORDER, object_id=2, status=SyncStatus.PENDING)
    html = client.get(GRID).content.decode("utf-8")
    row = re.search(r'<tr data-shop="%d"[^>]*>(.*?)</tr>' % shop.pk, html, re.S).group(1)
    assert initialized.store_id in row and ">on<" in row
    assert re.search(r'items/\?status=pending">1<', row) and re.search(r'items/\?status=failed">1<', row)
    for action in ("check-connection/", "initialize-store/", "disconnect/", "resend-failed/"):
        assert 'formaction="%s"' % dash(shop, action) in row
    other_row = re.search(r'<tr data-shop="%d"[^>]*>(.*?)</tr>' % other.pk, html, re.S).group(1)
    assert "not set up" in other_row


def test_shuup_dashboard_has_a_mailchimp_block_and_setup_help(client, shop):
    from shuup import configuration

    configuration.set(shop, "setup_wizard_complete", True)
    html = client.get("/sa/").content.decode("utf-8")
    assert 'id="mailchimp-dashboard-block"' in html and "Not connected yet" in html
    home = client.get("/sa/home/").content.decode("utf-8")
    assert "Connect Mailchimp: paste your API key" in home and "Initialize the Mailchimp store" in home


def test_module_is_registered_with_a_menu_entry(rf, admin_user):
    from shuup.admin.module_registry import get_modules

    from shuup_mailchimp.admin_module import MailchimpAdminModule

    module = next(m for m in get_modules() if isinstance(m, MailchimpAdminModule))
    urls = {str(entry.url) for entry in module.get_menu_entries(rf.get("/"))}
    assert urls == {GRID}


# --- sync items and resend ------------------------------------------------------------------


def _items(shop):
    other_shop = factories.get_shop(identifier="other", domain="other.example.com")
    person = factories.create_random_person(locale="en_US")
    # A fixed name with an apostrophe: the page must show it HTML-escaped (a random name failed CI once
    # when the faker happened to pick "O'Reilly" and the test compared the raw name).
    person.first_name, person.last_name, person.email = "Kian", "O'Reilly", "ada.lovelace@mailbox.org"
    person.save()
    # The active-shop cache of an earlier test may have recorded the new contact: start clean.
    MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT, object_id=person.pk).delete()
    made = {
        "failed_contact": MailchimpSyncItem.objects.create(
            shop=shop, kind=SyncKind.CONTACT, object_id=person.pk, status=SyncStatus.FAILED, attempts=1,
            last_error_status=400, last_error_title="Invalid Resource",
            last_error_detail="Invalid Resource: ada@x looks fake or invalid, please enter a real email address. "
                              "(email_address: This value should be a valid email.)"),
        "synced_order": MailchimpSyncItem.objects.create(
            shop=shop, kind=SyncKind.ORDER, object_id=12, status=SyncStatus.SYNCED, synced_on=timezone.now()),
        "failed_order": MailchimpSyncItem.objects.create(
            shop=shop, kind=SyncKind.ORDER, object_id=13, status=SyncStatus.FAILED, last_error_title="Boom"),
        "other_shop": MailchimpSyncItem.objects.create(
            shop=other_shop, kind=SyncKind.ORDER, object_id=14, status=SyncStatus.FAILED),
    }
    return made


def test_sync_item_list_renders_names_errors_and_filters(client, shop):
    items = _items(shop)
    assert client.get(dash(shop, "items/")).status_code == 200
    data = picotable(client, dash(shop, "items/"))
    assert {row["_id"] for row in data["items"]} == {
        items["failed_contact"].pk, items["synced_order"].pk, items["failed_order"].pk}
    assert any(a["key"] == "mass_action_mailchimp_resend" for a in data["massActions"])
    row = next(r for r in data["items"] if r["_id"] == items["failed_contact"].pk)
    person = Contact.objects.get(pk=items["failed_contact"].object_id)
    assert escape(person.name) == "Kian O&#39;Reilly" and escape(person.name) in row["object"]
    assert "ada.lovelace@mailbox.org" in row["object"] and "O'Reilly" not in row["object"]
    assert 'href="/sa/contacts/%d/"' % person.pk in row["object"]
    assert "Mailchimp refused the email address." in row["last_error"]
    assert "400 Invalid Resource: ada@x looks fake" in row["last_error"]
    assert "Invalid Resource: Invalid Resource" not in row["last_error"]
    assert row["_url"] == dash(shop, "items/%d/" % items["failed_contact"].pk)
    deleted_order = next(r for r in data["items"] if r["_id"] == items["synced_order"].pk)
    assert "#12 (deleted in Shuup)" in deleted_order["object"]

    failed = picotable(client, dash(shop, "items/"), status="failed")
    assert {r["_id"] for r in failed["items"]} == {items["failed_contact"].pk, items["failed_order"].pk}
    orders = picotable(client, dash(shop, "items/"), kind="order")
    assert {r["_id"] for r in orders["items"]} == {items["synced_order"].pk, items["failed_order"].pk}
    by_email = picotable(client, dash(shop, "items/"), object="lovelace@mail")
    assert [r["_id"] for r in by_email["items"]] == [items["failed_contact"].pk]
    # Filters in the page's URL (the dashboard's links) apply too, and the page says so.
    query = {"jq": json.dumps({"perPage": 50, "page": 1, "filters": {}}), "status": "failed", "kind": "contact"}
    linked = client.get(dash(shop, "items/"), query).json()
    assert [r["_id"] for r in linked["items"]] == [items["failed_contact"].pk]
    page = client.get(dash(shop, "items/"), {"status": "failed"}).content.decode("utf-8")
    assert 'id="mailchimp-url-filters"' in page


def test_sync_item_page_shows_the_full_error_and_what_would_be_sent(client, initialized):
    shop = initialized.shop
    item = _items(shop)["failed_contact"]
    html = client.get(dash(shop, "items/%d/" % item.pk)).content.decode("utf-8")
    assert "Mailchimp refused the email address." in html
    assert "(email_address: This value should be a valid email.)" in html  # the whole message
    assert "Correct the email address in Shuup" in html
    assert "&#34;email_address&#34;: &#34;ada.lovelace@mailbox.org&#34;" in html or \
        '"email_address": "ada.lovelace@mailbox.org"' in html
    assert "The body sent last time is not stored" in html
    assert 'id="mailchimp-resend-item"' in html
    other = _items_other_shop_item()
    assert client.get(dash(shop, "items/%d/" % other.pk)).status_code == 404


def _items_other_shop_item():
    return MailchimpSyncItem.objects.exclude(shop_id=factories.get_default_shop().pk).first()


def test_unchanged_note_says_when_the_change_was_sent(client, shop):
    person = factories.create_random_person(locale="en_US")
    MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT, object_id=person.pk).delete()
    item = MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.CONTACT, object_id=person.pk,
                                            status=SyncStatus.SYNCED, note="unchanged", synced_on=timezone.now())
    MailchimpLogEntry.objects.create(shop=shop, operation="members.upsert", method="PUT", status_code=200,
                                     object_kind="contact", object_id=person.pk)
    row = picotable(client, dash(shop, "items/"))["items"][0]
    assert row["_id"] == item.pk and "up to date; last change sent" in row["last_error"]


def test_resend_mass_action_queues_only_selected_failed_items(client, shop, monkeypatch):
    scheduled = []
    monkeypatch.setattr("shuup_mailchimp.tasks.schedule", scheduled.append)
    items = _items(shop)
    selected = [items["failed_contact"].pk, items["synced_order"].pk, items["other_shop"].pk]
    response = client.post(dash(shop, "items/"),
                           json.dumps({"action": "mass_action_mailchimp_resend", "values": selected}),
                           content_type="application/json")
    assert response.json() == {"ok": True}
    status = {k: MailchimpSyncItem.objects.get(pk=v.pk).status for k, v in items.items()}
    assert status == {"failed_contact": SyncStatus.PENDING, "synced_order": SyncStatus.SYNCED,
                      "failed_order": SyncStatus.FAILED, "other_shop": SyncStatus.FAILED}
    assert MailchimpSyncItem.objects.get(pk=items["failed_contact"].pk).attempts == 0
    assert scheduled == []  # "inline" dispatch (the tests'): never sent inside the admin's request


def test_resend_all_failed_only_queues_and_says_so(client, initialized, emulator, settings,
                                                   django_capture_on_commit_callbacks):
    shop = initialized.shop
    person = factories.create_random_person(locale="en_US")
    MailchimpSyncItem.objects.update_or_create(
        shop=shop, kind=SyncKind.CONTACT, object_id=person.pk,
        defaults=dict(status=SyncStatus.FAILED, attempts=5, last_error_title="Earlier trouble"))
    other = _items(shop)["other_shop"]
    writes_before = emulator.stats["writes"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(dash(shop, "resend-failed/"))
    assert response.status_code == 302 and response["Location"] == dash(shop)
    msgs = messages_of(response)
    assert msgs[0][0] == "success" and msgs[0][1].startswith("3 items are queued to be sent again.")
    assert "next sync run" in msgs[0][1]
    item = MailchimpSyncItem.objects.get(shop=shop, kind=SyncKind.CONTACT, object_id=person.pk)
    assert item.status == SyncStatus.PENDING and item.attempts == 0  # queued, not sent in the request
    assert emulator.stats["writes"] == writes_before
    assert MailchimpSyncItem.objects.get(pk=other.pk).status == SyncStatus.FAILED  # another shop's item

    from shuup_mailchimp.sync.processing import process_due

    process_due(shop_id=shop.pk)  # the worker's run
    item.refresh_from_db()
    assert item.status == SyncStatus.SYNCED, item.last_error


@pytest.mark.parametrize("mode,expected", [("background", "background worker"), ("celery", "Celery worker")])
def test_resend_tells_the_worker_after_commit(client, shop, settings, monkeypatch, mode, expected,
                                              django_capture_on_commit_callbacks):
    settings.SHUUP_MAILCHIMP_DISPATCH = mode
    scheduled = []
    monkeypatch.setattr("shuup_mailchimp.tasks.schedule", scheduled.append)
    item = _items(shop)["failed_contact"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(dash(shop, "resend-failed/"), {"ids": [item.pk]})
    assert scheduled == [[item.pk]]
    assert expected in messages_of(response)[0][1]


def test_resend_all_failed_with_nothing_failed_says_so(client, shop):
    response = client.post(dash(shop, "resend-failed/"))
    assert messages_of(response) == [("info", "There are no failed items to resend.")]


# --- log ------------------------------------------------------------------------------------


def _log(shop, age_days=0, **fields):
    entry = MailchimpLogEntry.objects.create(shop=shop, operation=fields.pop("operation", "members.update"),
                                             **fields)
    MailchimpLogEntry.objects.filter(pk=entry.pk).update(created_on=timezone.now() - timedelta(days=age_days))
    return entry


def test_log_list_renders_and_filters(client, shop):
    ok = _log(shop, method="PUT", path="lists/x/members/y", status_code=200, object_kind="contact", object_id=3)
    error = _log(shop, method="POST", path="ecommerce/stores/s/orders", status_code=400, success=False,
                 error_title="Invalid Resource", error_detail="Invalid Resource: " + "x" * 400,
                 object_kind="order", object_id=4)
    old = _log(shop, age_days=10, operation="check_connection", message="Connected.")
    _log(factories.get_shop(identifier="other", domain="other.example.com"))
    log = dash(shop, "log/")
    assert client.get(log).status_code == 200

    everything = picotable(client, log)
    assert [r["_id"] for r in everything["items"]] == [error.pk, ok.pk, old.pk]  # newest first, this shop only
    assert [r["_id"] for r in picotable(client, log, success=False)["items"]] == [error.pk]
    assert [r["_id"] for r in picotable(client, log, object_kind="contact")["items"]] == [ok.pk]
    since = (timezone.now() - timedelta(days=2)).date().isoformat()
    recent = picotable(client, log, created_on={"min": since})
    assert {r["_id"] for r in recent["items"]} == {ok.pk, error.pk}
    row = next(r for r in everything["items"] if r["_id"] == error.pk)
    assert "400" in row["success"] and "badge-danger" in row["success"]
    assert "Mailchimp refused the data." in row["error_title"] and "400 Invalid Resource: xxx" in row["error_title"]
    # Six narrow columns, the error one cut by CSS, not a 2,500 px table.
    assert [c["id"] for c in everything["columns"]] == [
        "created_on", "operation", "success", "object_kind", "error_title", "duration_ms"]
    assert all(c.get("className") for c in everything["columns"])


# --- the contact section ----------------------------------------------------------------------


def test_contact_section_shows_status_error_and_resend(client, initialized):
    shop = initialized.shop
    contact = factories.create_random_person(locale="en_US")
    contact.add_to_shop(shop)
    MailchimpSyncItem.objects.update_or_create(
        shop=shop, kind=SyncKind.CONTACT, object_id=contact.pk,
        defaults=dict(status=SyncStatus.FAILED, attempts=1, last_error_status=400,
                      last_error_title="Member In Compliance State",
                      last_error_detail="Member In Compliance State: x is already a list member in compliance state",
                      state={"member_status": "unsubscribed", "opted_out": True, "permission": True,
                             "customer_id": "%d-e1" % contact.pk, "email": contact.email}))
    html = client.get("/sa/contacts/%d/" % contact.pk).content.decode("utf-8")
    section = re.search(r'id="mailchimp-contact-status"(.*)', html, re.S).group(1)
    assert "unsubscribed" in section and "The person unsubscribed in Mailchimp" in section
    assert "%d-e1" % contact.pk in section
    assert "Mailchimp does not let the shop subscribe them again" in section
    assert 'formaction="%s"' % dash(shop, "resend-failed/") in section


def test_contact_section_queues_a_contact_not_sent_yet(client, initialized):
    shop = initialized.shop
    contact = factories.create_random_person(locale="en_US")
    contact.add_to_shop(shop)
    MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT, object_id=contact.pk).delete()
    html = client.get("/sa/contacts/%d/" % contact.pk).content.decode("utf-8")
    assert "Not sent to Mailchimp yet." in html and "Send to Mailchimp" in html
    response = client.post(dash(shop, "queue-contact/"), {"contact": contact.pk,
                                                           "next": "/sa/contacts/%d/" % contact.pk})
    assert response.status_code == 302 and response["Location"] == "/sa/contacts/%d/" % contact.pk
    item = MailchimpSyncItem.objects.get(shop=shop, kind=SyncKind.CONTACT, object_id=contact.pk)
    assert item.status == SyncStatus.PENDING  # queued, not sent in the request
    assert "queued to be sent" in messages_of(response)[0][1]


def test_next_must_stay_on_this_site(client, shop_settings):
    response = client.post(dash(shop_settings.shop, "resend-failed/"), {"next": "https://evil.example.com/"})
    assert response["Location"] == dash(shop_settings.shop)


def test_shuup_dashboard_notifies_about_failures(client, initialized):
    from shuup import configuration

    configuration.set(initialized.shop, "setup_wizard_complete", True)
    MailchimpSyncItem.objects.create(shop=initialized.shop, kind=SyncKind.ORDER, object_id=77,
                                     status=SyncStatus.FAILED, last_error_title="Boom")
    html = client.get("/sa/").content.decode("utf-8")
    assert "1 item(s) failed: see why." in html


def test_item_pages_of_orders_and_products_preview_their_bodies(client, initialized):
    shop = initialized.shop
    product = factories.create_product("preview-sku", shop=shop, supplier=factories.get_default_supplier(),
                                       default_price=10)
    order = factories.create_random_order(customer=factories.create_random_person(locale="en_US"),
                                          products=[product], shop=shop)
    for kind, object_id, expected in ((SyncKind.ORDER, order.pk, "order_total"),
                                      (SyncKind.PRODUCT, product.pk, "preview-sku")):
        item, _created = MailchimpSyncItem.objects.update_or_create(
            shop=shop, kind=kind, object_id=object_id, defaults=dict(status=SyncStatus.SYNCED))
        html = client.get(dash(shop, "items/%d/" % item.pk)).content.decode("utf-8")
        assert expected in html, kind
        assert "What would be sent now" in html


def test_switching_sync_on_again_says_what_the_pause_left_behind(client, initialized):
    # a pause records nothing: the owner is told how the changes made meanwhile reach Mailchimp
    shop = initialized.shop
    assert post_mailchimp(client, shop, enabled=False).status_code == 302
    assert not stored(shop).enabled
    response = post_mailchimp(client, shop, enabled=True)
    assert response.status_code == 302 and stored(shop).enabled
    assert any(level == "info" and "Changes made while it was off were not recorded" in text
               and "Schedule sync" in text for level, text in messages_of(response))
    response = post_mailchimp(client, shop, two_way_sync=True)  # a save that does not switch it on
    assert not any("on again" in text for _level, text in messages_of(response))
