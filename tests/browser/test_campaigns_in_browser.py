"""The campaigns page in headless Chromium: the charts are drawn (Chart.js from Shuup's admin), the
table and the tags page render. Screenshots: ``var/screenshots/test_campaign_charts/``."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from shuup.core.models import PersonContact
from shuup.testing import factories

from shuup_mailchimp.models import MailchimpOrderAttribution, MailchimpShopSettings
from shuup_mailchimp.sync.campaigns import import_campaigns
from shuup_mailchimp.sync.segments import choose_groups
from shuup_mailchimp.testing.demo_admin import make_admin_usable

from .helpers import element

KEY = "0123456789abcdef0123456789abcdef-us1"
pytestmark = pytest.mark.django_db(transaction=True)


def drawn(driver, canvas_id):
    """Whether Chart.js painted something on the canvas (not all transparent)."""
    return driver.execute_script(
        "var c = document.getElementById(arguments[0]); if (!c || !c.width) return false;"
        "var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "for (var i = 3; i < d.length; i += 4) { if (d[i] !== 0) return true; } return false;", canvas_id)


def test_campaign_charts(browser, shots, live_server, loopback_emulator):
    emu = loopback_emulator
    audience = emu.create_list(name="Shop audience")
    shop = factories.get_default_shop()
    shop.domain = "browser-shop.example-shop.com"
    shop.save()
    admin = get_user_model().objects.create_superuser("admin", "admin@shop.test", "admin")
    make_admin_usable(shop, users=[admin])
    settings_row = MailchimpShopSettings.objects.create(shop=shop, api_key=KEY, audience_id=audience["id"],
                                                       enabled=True)
    group = factories.create_random_contact_group(shop=shop)
    supplier = factories.get_default_supplier()
    product = factories.create_product("chart-1", shop=shop, supplier=supplier, default_price=40)
    orders = []
    for n in range(5):
        contact = PersonContact.objects.create(first_name="C", last_name=str(n), email="c%d@mailbox.org" % n,
                                               marketing_permission=True)
        contact.add_to_shop(shop)
        group.members.add(contact)
        orders.append(factories.create_random_order(customer=contact, products=[product], shop=shop,
                                                    random_products=False))
    now = timezone.now()
    for n, (cid, title, opens, clicks) in enumerate([("b0000001", "Spring sale", 45, 12),
                                                     ("b0000002", "Summer news", 30, 6),
                                                     ("b0000003", "Autumn offers", 52, 19)]):
        emu.seed_campaign(audience["id"], id=cid, title=title, emails_sent=100, unique_opens=opens, opens=opens * 2,
                          subscriber_clicks=clicks, clicks=clicks * 2,
                          send_time=(now - timedelta(days=30 - 10 * n)).replace(microsecond=0).isoformat())
    for order, cid in zip(orders, ["b0000001", "b0000001", "b0000003", "b0000003", "b0000003"]):
        MailchimpOrderAttribution.objects.create(order=order, shop=shop, campaign_id=cid)
    from shuup_mailchimp.enums import SyncKind
    from shuup_mailchimp.sync.outbox import record
    from shuup_mailchimp.sync.processing import process_items

    keys = []
    for order in orders:
        keys += record([shop.pk], SyncKind.ORDER, order.pk)
    process_items(keys)
    choose_groups(shop, [group.pk])
    from shuup_mailchimp.sync.processing import process_due

    process_due(shop_id=shop.pk)
    import_campaigns(settings_row)

    driver = browser
    base = live_server.url
    driver.get(base + "/sa/")
    element(driver, "input[name=username]").send_keys("admin")
    driver.find_element("css selector", "input[name=password]").send_keys("admin")
    driver.find_element("css selector", "form button[type=submit]").click()
    element(driver, "#dashboard-wrapper, .dashboard-wrapper, #js-main-menu, nav")

    driver.get(base + "/sa/mailchimp/shop/%d/campaigns/" % shop.pk)
    table = element(driver, "#mailchimp-campaigns")
    assert "Spring sale" in table.text and "Autumn offers" in table.text
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not (drawn(driver, "chart-mailchimp-campaign-rates")
                                               and drawn(driver, "chart-mailchimp-campaign-revenue")):
        time.sleep(0.3)
    assert drawn(driver, "chart-mailchimp-campaign-rates"), "the rate chart was not drawn"
    assert drawn(driver, "chart-mailchimp-campaign-revenue"), "the revenue chart was not drawn"
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] if hasattr(driver, "get_log") \
        else []
    assert not [e for e in errors if "campaign" in e.get("message", "")], errors
    time.sleep(1.5)  # Chart.js animates the first second: the screenshot shows the finished charts
    shots("campaigns")

    driver.get(base + "/sa/mailchimp/shop/%d/segments/" % shop.pk)
    row = element(driver, 'tr[data-group="%d"]' % group.pk)
    assert row.get_attribute("data-status") == "synced"
    shots("tags")
