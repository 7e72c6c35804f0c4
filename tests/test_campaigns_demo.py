"""The demo's campaigns: two seeded campaigns with reports, a few attributed orders, a tag, imported;
against the emulator over real HTTP, as ``make demo`` runs it."""
import pytest
from shuup.core.models import PersonContact
from shuup.testing import factories

from shuup_mailchimp.models import MailchimpCampaign, MailchimpOrderAttribution, MailchimpShopSettings
from shuup_mailchimp.testing.emulator import EmulatorServer, MailchimpEmulator

from .conftest import API_KEY


@pytest.fixture
def served(settings):
    emu = MailchimpEmulator()
    server = EmulatorServer(emu, port=0).start()
    settings.SHUUP_MAILCHIMP_API_URL = server.url + "/3.0/"
    yield emu, server
    server.stop()


@pytest.mark.django_db
def test_the_demo_fills_the_campaigns_and_tags_pages(served, shop, admin_user, client):
    from shuup_mailchimp.sync.store import initialize_store
    from shuup_mailchimp.testing.demo_campaigns import seed_demo_campaigns

    emu, server = served
    audience = emu.create_list(name="Demo audience")
    shop_settings = MailchimpShopSettings.objects.create(shop=shop, api_key=API_KEY, audience_id=audience["id"],
                                                         enabled=True)
    initialize_store(shop_settings)
    group = factories.create_random_contact_group(shop=shop)
    supplier = factories.get_default_supplier()
    products = [factories.create_product("demo-%d" % n, shop=shop, supplier=supplier, default_price=20)
                for n in range(2)]
    for n in range(8):
        contact = PersonContact.objects.create(first_name="D", last_name=str(n), email="demo%d@mailbox.org" % n,
                                               marketing_permission=True)
        contact.add_to_shop(shop)
        group.members.add(contact)
        factories.create_random_order(customer=contact, products=products, shop=shop, random_products=False)

    result = seed_demo_campaigns(shop, settings_api_url(), stdout=None)
    assert (result["seeded"], result["attributed"]) == (2, 7) and result["tag"]
    campaigns = {c.campaign_id: c for c in MailchimpCampaign.objects.filter(shop=shop)}
    assert set(campaigns) == {"d3m0c4mp01", "d3m0c4mp02"}
    assert campaigns["d3m0c4mp01"].orders == 4 and campaigns["d3m0c4mp01"].revenue > 0
    assert campaigns["d3m0c4mp02"].orders == 3 and campaigns["d3m0c4mp01"].open_rate == pytest.approx(0.41, abs=0.01)
    assert MailchimpOrderAttribution.objects.filter(shop=shop).count() == 7
    tagged = [m for m in emu.snapshot()["lists"][audience["id"]]["members"].values() if m["tags"]]
    assert len(tagged) == 8
    # a second run (the demo's command, as `make demo` runs it again) adds nothing
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("mailchimp_demo_campaigns", "--shop", str(shop.pk), stdout=out)
    assert "Campaigns: 0 seeded in the emulator, 0 orders attributed" in out.getvalue()
    assert MailchimpOrderAttribution.objects.filter(shop=shop).count() == 7
    client.force_login(admin_user)
    page = client.get("/sa/mailchimp/shop/%d/campaigns/" % shop.pk).content.decode()
    assert "Spring sale" in page and "chart-mailchimp-campaign-revenue" in page


def settings_api_url():
    from django.conf import settings

    return settings.SHUUP_MAILCHIMP_API_URL


@pytest.mark.django_db
def test_the_demo_seeding_skips_a_server_that_is_not_the_emulator(shop):
    from shuup_mailchimp.testing.demo_campaigns import seed_demo_campaigns

    result = seed_demo_campaigns(shop, "http://127.0.0.1:9/3.0/")
    assert result["seeded"] == 0 and not MailchimpCampaign.objects.exists()
