"""The shop owner's path through the admin, in headless Chromium against a live server and the emulator.

Log in -> a usable dashboard (no setup wizard) -> the shop's Mailchimp tab: key and audience ->
the integrations grid: Check connection, Initialize store -> the background worker sends the shop
-> the emulator injects a failure -> the shop's dashboard says what failed and why -> Resend ->
the worker sends it, the dashboard turns green -> the contact's page has the Mailchimp section.

Screenshots of each step: ``var/screenshots/test_shop_owner_path/``.
"""
import re
import time

import pytest
from django.contrib.auth import get_user_model
from shuup.core.models import Contact
from shuup.testing import factories

from shuup_mailchimp import runner as runner_module
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.testing.demo_admin import make_admin_usable
from shuup_mailchimp.testing.emulator import EmulatorServer, MailchimpEmulator

from .helpers import click, element, log_into_admin

KEY = "0123456789abcdef0123456789abcdef-us1"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def emulator_server():
    emu = MailchimpEmulator()
    emu.async_webhooks = False
    server = EmulatorServer(emu, port=0).start()
    yield emu, server
    server.stop()


@pytest.fixture
def background_worker(settings, monkeypatch):
    """The demo's dispatch: a background thread of this process (the live server's) sends the work."""
    settings.SHUUP_MAILCHIMP_DISPATCH = "background"
    settings.SHUUP_MAILCHIMP_TASK_COUNTDOWN = 0.2
    settings.SHUUP_MAILCHIMP_PROCESS_INTERVAL = 1
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = 1  # an injected 5xx fails at once instead of waiting for a retry
    worker = runner_module.BackgroundRunner(name="browser-test-runner")
    monkeypatch.setattr(runner_module, "_runner", worker)
    yield worker
    worker.shutdown(timeout=10)


def wait_for(condition, timeout=30.0, what="condition", state=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s%s" % (what, (": %s" % state()) if state else ""))


def outbox_state(shop):
    return list(MailchimpSyncItem.objects.filter(shop=shop).values_list(
        "kind", "object_id", "status", "last_error_title", "note"))


def messages_text(driver):
    """The flash messages of the page: Shuup's admin shows them for two seconds (``Messages.enqueue`` in
    the page's script), so read them from the script rather than from the toast."""
    import json
    import re

    texts = re.findall(r'Messages\.enqueue\(\{\s*tags: [^,]*,\s*text: ("(?:[^"\\]|\\.)*")', driver.page_source)
    return " | ".join(json.loads(t) for t in texts)


def open_row_action(driver, shop, label, shots=None):
    row = element(driver, 'tr[data-shop="%d"]' % shop.pk)
    click(driver, row.find_element("css selector", "button.dropdown-toggle"))
    if shots:
        shots("integrations")
    for item in row.find_elements("css selector", ".dropdown-item"):
        if label in item.text:
            click(driver, item)
            return
    raise AssertionError("no %r action in the row of %s" % (label, shop))


def test_shop_owner_path(browser, shots, live_server, settings, emulator_server, background_worker):
    emu, server = emulator_server
    settings.SHUUP_MAILCHIMP_API_URL = server.url + "/3.0/"
    audience = emu.create_list(name="Shop audience")
    shop = factories.get_default_shop()
    shop.domain = "browser-shop.example-shop.com"
    shop.save()
    admin = get_user_model().objects.create_superuser("admin", "admin@shop.test", "admin")
    make_admin_usable(shop, users=[admin])
    ada = factories.create_random_person(locale="en_US")
    ada.email = "ada.lovelace@mailbox.org"
    ada.marketing_permission = True
    ada.save()
    ada.add_to_shop(shop)
    driver = browser
    base = live_server.url

    # 1. Log in: the dashboard, with its menu and the Mailchimp block; not the setup wizard.
    block = log_into_admin(driver, base)
    assert "/sa/wizard" not in driver.current_url
    assert "Not connected yet" in block.text
    menu_links = {a.get_attribute("href") for a in driver.find_elements("css selector", "#js-main-menu a, nav a, a")}
    assert base + "/sa/mailchimp/" in menu_links and base + "/sa/shops/" in menu_links  # Addons > Mailchimp
    shots("dashboard")

    # 2. The shop's Mailchimp tab: says no key is saved; paste key and audience, enable, save.
    driver.get(base + "/sa/shops/%d/#mailchimp-settings" % shop.pk)
    assert "No API key is saved yet" in element(driver, "#mailchimp-key-status").text
    driver.execute_script(
        "document.getElementById('id_mailchimp-api_key').value = arguments[0];"
        "document.getElementById('id_mailchimp-audience_id').value = arguments[1];"
        "document.getElementById('id_mailchimp-enabled').checked = true;", KEY, audience["id"])
    shots("settings")
    save = [b for b in driver.find_elements("css selector", "button[type=submit]")
            if b.get_attribute("form") == "shop_form"]
    click(driver, save[0])
    wait_for(lambda: MailchimpShopSettings.objects.filter(shop=shop, enabled=True).exists(), what="settings saved")
    status = element(driver, "#mailchimp-key-status").text
    assert "An API key is saved" in status and "cdef-us1" in status and KEY not in driver.page_source

    # 3. The integrations grid: Check connection, then Initialize store (POSTs from the row's menu).
    driver.get(base + "/sa/mailchimp/")
    open_row_action(driver, shop, "Check connection", shots)
    element(driver, "#mailchimp-health")
    wait_for(lambda: "Connected to Mailchimp account" in messages_text(driver), what="check message")
    shots("check-connection")
    driver.get(base + "/sa/mailchimp/")
    open_row_action(driver, shop, "Initialize store")
    element(driver, "#mailchimp-health")
    # "created", or "updated" when the background thread got there first: it initializes the store
    # of an enabled shop before it sends the shop's first item (ada, recorded when the shop was enabled).
    wait_for(lambda: re.search(r"Store \S+ (created|updated) on audience", messages_text(driver)),
             what="initialize message", state=lambda: messages_text(driver)[:500])
    shop_settings = MailchimpShopSettings.objects.get(shop=shop)
    assert shop_settings.is_initialized and shop_settings.store_id in emu.snapshot()["stores"]
    # The worker sends what Initialize store queued.
    wait_for(lambda: not MailchimpSyncItem.objects.filter(shop=shop).exclude(status=SyncStatus.SYNCED).exists()
             and MailchimpSyncItem.objects.filter(shop=shop, kind=SyncKind.CONTACT, object_id=ada.pk).exists(),
             what="the first sync", state=lambda: outbox_state(shop))
    shots("initialized")

    # 4. Mailchimp fails (the emulator injects a 5xx / dropped connection) while a change is sent.
    emu.fault_rate = 1.0
    ada = Contact.objects.get(pk=ada.pk)
    ada.name = "Ada King"
    ada.first_name, ada.last_name = "Ada", "King"
    ada.save()
    item = wait_for(lambda: MailchimpSyncItem.objects.filter(shop=shop, kind=SyncKind.CONTACT, object_id=ada.pk,
                                                             status=SyncStatus.FAILED).first(), what="the failure")
    emu.fault_rate = 0.0
    driver.get(base + "/sa/mailchimp/shop/%d/" % shop.pk)
    health = element(driver, "#mailchimp-health")
    assert health.get_attribute("data-level") == "danger"
    assert "1 item(s) failed" in health.text
    errors = element(driver, "#mailchimp-latest-errors").text
    assert "Ada King" in errors and "ada.lovelace@mailbox.org" in errors
    assert "Resend" in errors and ("Mailchimp" in errors)
    assert "HTTPConnectionPool" not in driver.page_source
    shots("failure")

    # 5. Resend: queued (not sent in the request); the worker sends it; the dashboard turns green.
    click(driver, driver.find_element("css selector", '#mailchimp-latest-errors tr[data-item="%d"] button' % item.pk))
    element(driver, "#mailchimp-health")
    assert "queued to be sent again" in messages_text(driver)
    wait_for(lambda: MailchimpSyncItem.objects.get(pk=item.pk).status == SyncStatus.SYNCED, what="the resend")
    driver.get(base + "/sa/mailchimp/shop/%d/" % shop.pk)
    health = element(driver, "#mailchimp-health")
    assert health.get_attribute("data-level") == "success", health.text
    assert "everything is synced" in health.text
    shots("resent")

    # 6. The sync item list fits a laptop screen: no horizontal scrolling, even with a long error
    #    (Mailchimp's messages can be hundreds of characters with no natural break).
    long_detail = "Invalid Resource: " + "; ".join(
        "merge_fields.FIELD_%02d: This value should be a valid https://example.org/a/very/long/path/%s" % (n, "x" * 40)
        for n in range(12))
    MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.ORDER, object_id=987654, status=SyncStatus.FAILED,
                                     attempts=5, last_error_status=400, last_error_title="Invalid Resource",
                                     last_error_detail=long_detail)
    driver.get(base + "/sa/mailchimp/shop/%d/items/" % shop.pk)
    element(driver, "#picotable table tbody tr")
    wait_for(lambda: len(driver.find_elements("css selector", "#picotable table tbody tr")) >= 2,
             what="both rows of the sync item list")
    assert "FIELD_00" in driver.find_element("css selector", "#picotable table tbody").text
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the sync item list is %d px wider than the window" % overflow
    shots("sync-items")
    driver.get(base + "/sa/mailchimp/shop/%d/log/" % shop.pk)
    element(driver, "#picotable table tbody tr")
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the log is %d px wider than the window" % overflow
    shots("log")

    # 7. The contact's page has the Mailchimp section: member status, why, customer id.
    driver.get(base + "/sa/contacts/%d/" % ada.pk)
    section = element(driver, "#mailchimp-contact-status")
    tabs = [a for a in driver.find_elements("css selector", "a[href^='#']") if a.text.strip() == "Mailchimp"]
    click(driver, tabs[0])  # the page's own "Mailchimp" tab
    assert section.is_displayed()
    text = " ".join(section.get_attribute("textContent").split())
    assert "Member status in Mailchimp subscribed" in text and "marketing permission" in text
    assert "eCommerce customer id %s" % ada.pk in text
    shots("contact")
