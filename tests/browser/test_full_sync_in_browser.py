"""The admin's "Schedule sync", in headless Chromium against a live server and the emulator.

The shop's Mailchimp page -> Actions > Schedule sync -> the full sync page -> *Schedule sync* ->
"A sync job has been added to the queue. Check progress." -> the progress block follows the run
(phase, done / total per kind) without a reload, to *finished* -> the history lists the run.

Screenshots of each step: ``var/screenshots/test_schedule_sync_and_follow_its_progress/``.
"""
import pytest
from django.contrib.auth import get_user_model
from shuup.testing import factories

from shuup_mailchimp.enums import FullSyncStatus
from shuup_mailchimp.models import MailchimpFullSync, MailchimpShopSettings
from shuup_mailchimp.sync.store import initialize_store

from ..test_full_sync import build_shop
from .helpers import click, element, log_into_admin
from .test_admin_in_browser import KEY, background_worker, emulator_server, wait_for  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_schedule_sync_and_follow_its_progress(browser, shots, live_server, settings, emulator_server,
                                               background_worker):
    emu, server = emulator_server
    settings.SHUUP_MAILCHIMP_API_URL = server.url + "/3.0/"
    settings.SHUUP_MAILCHIMP_FULL_SYNC_BATCH_SIZE = 10
    settings.SHUUP_MAILCHIMP_FULL_SYNC_CHUNK_SIZE = 5
    settings.SHUUP_MAILCHIMP_FULL_SYNC_POLL_INTERVAL = (0.2, 0.5)
    audience = emu.create_list(name="Shop audience")
    shop = factories.get_default_shop()
    shop.domain = "browser-shop.example-shop.com"
    shop.save()
    shop_settings = MailchimpShopSettings.for_shop(shop)
    shop_settings.api_key, shop_settings.audience_id, shop_settings.enabled = KEY, audience["id"], True
    shop_settings.save()
    initialize_store(shop_settings)
    people, _catalog, orders, _groups = build_shop(shop_settings, contacts=12, products=3, orders=4)
    admin = get_user_model().objects.create_superuser("admin", "admin@shop.test", "admin")
    from shuup_mailchimp.testing.demo_admin import make_admin_usable

    make_admin_usable(shop, users=[admin])
    # Mailchimp takes its time, so the run can be watched while it goes
    emu.latency, emu.batch_start_delay = 0.1, 0.5
    driver = browser
    base = live_server.url

    log_into_admin(driver, base)

    # 1. The shop's Mailchimp page: Actions > Schedule sync opens the full sync page.
    driver.get(base + "/sa/mailchimp/shop/%d/" % shop.pk)
    toggle = [b for b in driver.find_elements("css selector", "button.dropdown-toggle") if "Actions" in b.text]
    click(driver, toggle[0])
    shots("actions")
    [item] = [a for a in driver.find_elements("css selector", ".dropdown-item") if "Schedule sync" in a.text]
    click(driver, item)
    element(driver, "#schedule-sync")
    assert driver.current_url == base + "/sa/mailchimp/shop/%d/full-sync/" % shop.pk
    assert "No full sync has run for this shop yet." in element(driver, "#full-sync-none").text
    shots("full-sync-page")

    # 2. Schedule sync: the answer, with its link to the progress below.
    click(driver, driver.find_element("css selector", "#schedule-sync"))
    banner = element(driver, "#full-sync-scheduled")
    assert banner.text == "A sync job has been added to the queue. Check progress."
    assert banner.find_element("css selector", "a").get_attribute("href").endswith("#progress")
    run = MailchimpFullSync.objects.get()
    # a marker the page keeps only as long as it is not reloaded
    driver.execute_script("window.__notReloaded = true;")

    # 3. The progress block follows the run: a phase and a count seen while it runs, then finished.
    status = lambda: driver.find_element("css selector", '[data-field="status_label"]').text  # noqa: E731
    seen = set()

    def watched():
        seen.add((status(), driver.find_element("css selector", '[data-field="phase"]').text))
        return status() == "finished"

    wait_for(watched, timeout=90, what="the page to show the run finished",
             state=lambda: (seen, MailchimpFullSync.objects.values_list("status", "phase").get()))
    assert any(s in ("queued", "running") for s, _phase in seen), seen
    assert driver.execute_script("return window.__notReloaded === true;")
    shots("finished")
    run.refresh_from_db()
    assert run.status == FullSyncStatus.FINISHED and run.requested_by == "admin: admin"
    rows = {r.find_elements("css selector", "td")[0].text: r.text
            for r in driver.find_elements("css selector", "#full-sync-kinds tbody tr")}
    assert "12 / 12" in rows["contacts"] and "3 / 3" in rows["products"] and "4 / 4" in rows["orders"], rows
    history = driver.find_elements("css selector", "#full-sync-history tbody tr")
    assert len(history) == 1 and "admin: admin" in history[0].text and "finished" in history[0].text
    assert store_members(emu, audience["id"]) == {p.email for p in people}
    assert set(emu.stores[shop_settings.store_id]["orders"]) == {str(o.pk) for o in orders}


def store_members(emu, list_id):
    return {m["email_address"] for m in emu.lists[list_id]["members"].values()}
