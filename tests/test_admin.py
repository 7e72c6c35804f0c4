"""The admin UI, through real requests to ``/sa/...`` as a superuser, against the in-process emulator.

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
from shuup.testing import factories

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpLogEntry, MailchimpShopSettings, MailchimpSyncItem

from .conftest import API_KEY, EMULATOR_BASE

NEW_KEY = "fedcba9876543210fedcba9876543210-us1"
OVERVIEW = "/sa/mailchimp/"
ITEMS = "/sa/mailchimp/items/"
LOG = "/sa/mailchimp/log/"


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


# --- overview and its buttons ---------------------------------------------------------------


def test_overview_shows_masked_settings_and_counts(client, initialized):
    shop = initialized.shop
    MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.ORDER, object_id=1, status=SyncStatus.FAILED)
    MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.ORDER, object_id=2, status=SyncStatus.FAILED)
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    html = response.content.decode("utf-8")
    assert initialized.masked_api_key in html and API_KEY not in html
    assert initialized.store_id in html and initialized.audience_id in html
    order_row = re.search(r'<tr data-kind="order">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r">(\d+)<", order_row) == ["0", "0", "0", "2", "2"]  # pending processing synced failed total
    assert "Resend all failed (2)" in html
    assert "/sa/shops/%d/#mailchimp-settings" % shop.pk in html


def test_check_connection_button_reports_success(client, shop_settings):
    response = client.post("/sa/mailchimp/check-connection/")
    assert response.status_code == 302 and response["Location"] == OVERVIEW
    msgs = messages_of(response)
    assert msgs and msgs[0][0] == "success" and "Connected to Mailchimp account" in msgs[0][1]


def test_check_connection_button_reports_a_missing_audience(client, shop_settings):
    MailchimpShopSettings.objects.filter(pk=shop_settings.pk).update(audience_id="gone4ever")
    response = client.post("/sa/mailchimp/check-connection/")
    assert response.status_code == 302
    msgs = messages_of(response)
    assert msgs[0][0] == "error" and "does not exist" in msgs[0][1]
    assert all(level == "error" for level, _text in msgs)


def test_action_buttons_only_accept_post(client, shop_settings):
    assert client.get("/sa/mailchimp/check-connection/").status_code == 405
    assert client.get("/sa/mailchimp/initialize-store/").status_code == 405


def test_initialize_store_button_creates_the_store(client, shop_settings, emulator):
    response = client.post("/sa/mailchimp/initialize-store/")
    assert response.status_code == 302
    shop_settings.refresh_from_db()
    assert shop_settings.is_initialized
    store = emulator.snapshot()["stores"][shop_settings.store_id]
    assert store["list_id"] == shop_settings.audience_id
    msgs = messages_of(response)
    assert msgs[0][0] == "success" and shop_settings.store_id in msgs[0][1] and "created" in msgs[0][1]


def test_initialize_store_button_explains_a_missing_configuration(client, shop, emulator):
    response = client.post("/sa/mailchimp/initialize-store/")
    assert response.status_code == 302
    msgs = messages_of(response)
    assert msgs[0][0] == "error" and "API key and the audience id" in msgs[0][1]
    assert emulator.snapshot()["stores"] == {}


def test_initialize_store_button_shows_mailchimp_errors(client, shop_settings, emulator):
    MailchimpShopSettings.objects.filter(pk=shop_settings.pk).update(audience_id="gone4ever")
    response = client.post("/sa/mailchimp/initialize-store/")
    msgs = messages_of(response)
    assert msgs[0][0] == "error" and "Audience not found" in msgs[0][1]


# --- sync items and resend ------------------------------------------------------------------


def _items(shop):
    other_shop = factories.get_shop(identifier="other", domain="other.example.com")
    made = {
        "failed_contact": MailchimpSyncItem.objects.create(
            shop=shop, kind=SyncKind.CONTACT, object_id=11, status=SyncStatus.FAILED, attempts=1,
            last_error_status=400, last_error_title="Invalid Resource", last_error_detail="bad email"),
        "synced_order": MailchimpSyncItem.objects.create(
            shop=shop, kind=SyncKind.ORDER, object_id=12, status=SyncStatus.SYNCED, synced_on=timezone.now()),
        "failed_order": MailchimpSyncItem.objects.create(
            shop=shop, kind=SyncKind.ORDER, object_id=13, status=SyncStatus.FAILED, last_error_title="Boom"),
        "other_shop": MailchimpSyncItem.objects.create(
            shop=other_shop, kind=SyncKind.ORDER, object_id=14, status=SyncStatus.FAILED),
    }
    return made


def test_sync_item_list_renders_and_filters(client, shop):
    items = _items(shop)
    assert client.get(ITEMS).status_code == 200
    data = picotable(client, ITEMS)
    assert {row["_id"] for row in data["items"]} == {
        items["failed_contact"].pk, items["synced_order"].pk, items["failed_order"].pk}
    assert any(a["key"] == "mass_action_mailchimp_resend" for a in data["massActions"])
    row = next(r for r in data["items"] if r["_id"] == items["failed_contact"].pk)
    assert row["last_error"] == "400 Invalid Resource: bad email" and row["object_id"] == "11"

    failed = picotable(client, ITEMS, status="failed")
    assert {r["_id"] for r in failed["items"]} == {items["failed_contact"].pk, items["failed_order"].pk}
    orders = picotable(client, ITEMS, kind="order")
    assert {r["_id"] for r in orders["items"]} == {items["synced_order"].pk, items["failed_order"].pk}


def test_resend_mass_action_requeues_only_selected_failed_items(client, shop, monkeypatch):
    scheduled = []
    monkeypatch.setattr("shuup_mailchimp.tasks.schedule", scheduled.append)  # look at the rows before sending
    items = _items(shop)
    selected = [items["failed_contact"].pk, items["synced_order"].pk, items["other_shop"].pk]
    response = client.post(ITEMS, json.dumps({"action": "mass_action_mailchimp_resend", "values": selected}),
                           content_type="application/json")
    assert response.json() == {"ok": True}
    status = {k: MailchimpSyncItem.objects.get(pk=v.pk).status for k, v in items.items()}
    assert status == {"failed_contact": SyncStatus.PENDING, "synced_order": SyncStatus.SYNCED,
                      "failed_order": SyncStatus.FAILED, "other_shop": SyncStatus.FAILED}
    assert MailchimpSyncItem.objects.get(pk=items["failed_contact"].pk).attempts == 0
    assert scheduled == [[items["failed_contact"].pk]]


def test_resend_all_failed_sends_them_again(client, initialized, django_capture_on_commit_callbacks):
    shop = initialized.shop
    person = factories.create_random_person()
    MailchimpSyncItem.objects.update_or_create(
        shop=shop, kind=SyncKind.CONTACT, object_id=person.pk,
        defaults=dict(status=SyncStatus.FAILED, attempts=5, last_error_title="Earlier trouble"))
    other = _items(shop)["other_shop"]
    with django_capture_on_commit_callbacks(execute=True):  # the sending waits for the commit
        response = client.post("/sa/mailchimp/resend-failed/")
    assert response.status_code == 302 and response["Location"] == OVERVIEW
    msgs = messages_of(response)
    assert msgs[0][0] == "success" and msgs[0][1].startswith("3 failed item(s)")
    item = MailchimpSyncItem.objects.get(shop=shop, kind=SyncKind.CONTACT, object_id=person.pk)
    assert item.status == SyncStatus.SYNCED, item.last_error
    assert MailchimpSyncItem.objects.get(pk=other.pk).status == SyncStatus.FAILED  # another shop's item


def test_resend_all_failed_with_nothing_failed_says_so(client, shop):
    response = client.post("/sa/mailchimp/resend-failed/")
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
                 error_title="Invalid Resource", object_kind="order", object_id=4)
    old = _log(shop, age_days=10, operation="check_connection", message="Connected.")
    _log(factories.get_shop(identifier="other", domain="other.example.com"))
    assert client.get(LOG).status_code == 200

    everything = picotable(client, LOG)
    assert [r["_id"] for r in everything["items"]] == [error.pk, ok.pk, old.pk]  # newest first, this shop only
    assert [r["_id"] for r in picotable(client, LOG, success=False)["items"]] == [error.pk]
    assert [r["_id"] for r in picotable(client, LOG, object_kind="contact")["items"]] == [ok.pk]
    since = (timezone.now() - timedelta(days=2)).date().isoformat()
    recent = picotable(client, LOG, created_on={"min": since})
    assert {r["_id"] for r in recent["items"]} == {ok.pk, error.pk}
    row = next(r for r in everything["items"] if r["_id"] == error.pk)
    assert row["error_title"] == "Invalid Resource" and row["status_code"] == "400" and row["success"] == "no"


# --- module registration and access ---------------------------------------------------------


def test_module_is_registered_with_menu_entries(rf, admin_user):
    from shuup.admin.module_registry import get_modules

    from shuup_mailchimp.admin_module import MailchimpAdminModule

    module = next(m for m in get_modules() if isinstance(m, MailchimpAdminModule))
    urls = {str(entry.url) for entry in module.get_menu_entries(rf.get("/"))}
    assert urls == {OVERVIEW, ITEMS, LOG}


def test_overview_of_an_unconfigured_shop(client, shop):
    html = client.get(OVERVIEW).content.decode("utf-8")
    assert "Mailchimp is not configured for this shop yet" in html
    assert stored(shop) is None


@pytest.mark.parametrize("url", [OVERVIEW, ITEMS, LOG])
def test_pages_need_an_admin(shop, url):
    user = factories.create_random_user(is_staff=False)
    client = Client()
    client.force_login(user)
    item = MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.ORDER, object_id=1, status=SyncStatus.FAILED)
    response = client.get(url)
    assert response.status_code in (302, 400, 403)  # Shuup answers a non-staff user with a 400 "Problem"
    assert 'id="mailchimp-status-counts"' not in response.content.decode("utf-8")
    assert client.post("/sa/mailchimp/resend-failed/").status_code in (302, 400, 403)
    item.refresh_from_db()
    assert item.status == SyncStatus.FAILED
