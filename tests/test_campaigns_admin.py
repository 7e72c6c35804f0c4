"""The campaigns page (sortable table, charts, empty states, Import campaigns) and the tags page
(choose groups, sync status with counts), with their permissions and shop scoping."""
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from shuup.core.models import PersonContact
from shuup.testing import factories

from shuup_mailchimp.models import MailchimpCampaign, MailchimpTaggedGroup
from shuup_mailchimp.sync.campaigns import import_campaigns


@pytest.fixture
def admin(shop, admin_user, client):
    """A superuser's client (the shop exists first: Shuup's front middleware needs one at login)."""
    client.force_login(admin_user)
    return client


def campaigns_url(shop):
    return "/sa/mailchimp/shop/%d/campaigns/" % shop.pk


def segments_url(shop):
    return "/sa/mailchimp/shop/%d/segments/" % shop.pk


def seed(emulator, audience_id):
    now = timezone.now()
    emulator.seed_campaign(audience_id, id="aaaa000001", title="Alpha",
                           send_time=(now - timedelta(days=20)).isoformat(), opens=100, unique_opens=40, clicks=10,
                           subscriber_clicks=4)
    emulator.seed_campaign(audience_id, id="bbbb000002", title="Beta",
                           send_time=(now - timedelta(days=2)).isoformat(), opens=10, unique_opens=9, clicks=8,
                           subscriber_clicks=7)
    emulator.seed_campaign(audience_id, id="cccc000003", title="Gamma draft", status="save", send_time="")


def chart_configs(content):
    return {name: json.loads(config) for name, config in re.findall(
        r'window\.CHART_CONFIGS\["([^"]+)"\] = (\{.*?\});\n', content)}


@pytest.mark.django_db
def test_the_campaigns_page_shows_the_table_and_the_charts(admin, shop_settings, emulator):
    emulator.subscribe_as_person(shop_settings.audience_id, "reader@mailbox.org")
    seed(emulator, shop_settings.audience_id)
    import_campaigns(shop_settings)
    response = admin.get(campaigns_url(shop_settings.shop))
    assert response.status_code == 200
    content = response.content.decode()
    rows = re.findall(r'<tr data-campaign="(\w+)"', content)
    assert rows == ["bbbb000002", "aaaa000001", "cccc000003"]  # newest first; the draft (no send time) last
    assert "no report until it is sent" in content
    charts = chart_configs(content)
    assert set(charts) == {"mailchimp-campaign-rates", "mailchimp-campaign-revenue"}
    rates = charts["mailchimp-campaign-rates"]
    assert [d["label"] for d in rates["data"]] == ["Open rate (%)", "Click rate (%)"]
    assert len(rates["labels"]) == 2 and rates["labels"][0].endswith("Alpha")  # over time: oldest first
    alpha = MailchimpCampaign.objects.get(campaign_id="aaaa000001")
    assert rates["data"][0]["data"][0] == round(alpha.open_rate * 100, 1)
    revenue = charts["mailchimp-campaign-revenue"]
    assert len(revenue["data"]["datasets"]) == 2  # Mailchimp's figure and the shop's
    for chart in (rates, revenue):  # bars and rates are read against zero, not against the smallest value
        assert chart["options"]["scales"]["yAxes"][0]["ticks"]["beginAtZero"] is True
    assert 'id="chart-mailchimp-campaign-rates"' in content and "dashboard.js" in content
    assert "mailchimp-attribution-missing" not in content  # the demo project installs the middleware


@pytest.mark.django_db
def test_the_table_sorts_by_any_column(admin, shop_settings, emulator):
    emulator.subscribe_as_person(shop_settings.audience_id, "reader@mailbox.org")
    seed(emulator, shop_settings.audience_id)
    import_campaigns(shop_settings)
    url = campaigns_url(shop_settings.shop)
    order = lambda query: re.findall(r'<tr data-campaign="(\w+)"', admin.get(url + query).content.decode())
    assert order("?sort=title&dir=asc") == ["aaaa000001", "bbbb000002", "cccc000003"]
    assert order("?sort=title&dir=desc") == ["cccc000003", "bbbb000002", "aaaa000001"]
    assert order("?sort=click_rate&dir=desc")[:2] == ["bbbb000002", "aaaa000001"]
    assert order("?sort=send_time&dir=asc") == ["aaaa000001", "bbbb000002", "cccc000003"]
    assert order("?sort=nonsense") == ["bbbb000002", "aaaa000001", "cccc000003"]  # the default
    content = admin.get(url + "?sort=title&dir=asc").content.decode()
    assert 'href="%s?sort=title&amp;dir=desc"' % url in content or 'href="%s?sort=title&dir=desc"' % url in content


@pytest.mark.django_db
def test_empty_states_say_what_to_do(admin, shop, emulator, shop_settings):
    content = admin.get(campaigns_url(shop)).content.decode()
    assert "mailchimp-campaigns-empty" in content and "mailchimp_import_campaigns --shop %d" % shop.pk in content
    emulator.seed_campaign(shop_settings.audience_id, id="dddd000004", title="Only a draft", status="save",
                           send_time="")
    import_campaigns(shop_settings)
    content = admin.get(campaigns_url(shop)).content.decode()
    assert "mailchimp-campaigns-no-chart" in content and "CHART_CONFIGS" not in content


@pytest.mark.django_db
def test_a_shop_without_mailchimp_is_told_where_to_connect(admin, shop):
    content = admin.get(campaigns_url(shop)).content.decode()
    assert "mailchimp-campaigns-not-configured" in content and "#mailchimp-settings" in content
    assert "mailchimp-import-campaigns" not in content


@pytest.mark.django_db
def test_import_campaigns_button(admin, shop_settings, emulator):
    seed(emulator, shop_settings.audience_id)
    response = admin.post(campaigns_url(shop_settings.shop) + "import/", follow=True)
    assert response.status_code == 200
    assert MailchimpCampaign.objects.filter(shop=shop_settings.shop).count() == 3
    assert "Imported: 3 campaign(s) read" in response.content.decode()
    assert admin.get(campaigns_url(shop_settings.shop) + "import/").status_code == 405


@pytest.mark.django_db
def test_the_menu_entries_open_the_current_shops_pages(admin, shop):
    response = admin.get("/sa/mailchimp/campaigns/")
    assert response.status_code == 302 and response["Location"].endswith(campaigns_url(shop))
    response = admin.get("/sa/mailchimp/segments/")
    assert response.status_code == 302 and response["Location"].endswith(segments_url(shop))


@pytest.mark.django_db
def test_pages_of_a_shop_the_user_is_not_staff_of_are_404(client, shop):
    from django.contrib.auth import get_user_model

    other = factories.get_shop(identifier="other", name="Other", domain="other.example-shop.com")
    user = get_user_model().objects.create_user("staffer", "staffer@mailbox.org", "pw", is_staff=True)
    shop.staff_members.add(user)
    from shuup.admin.utils.permissions import set_permissions_for_group
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="mailchimp viewers")
    set_permissions_for_group(group, {"shuup_mailchimp.campaigns", "shuup_mailchimp.segments"})
    user.groups.add(group)
    client.login(username="staffer", password="pw")
    assert client.get(campaigns_url(shop)).status_code == 200
    assert client.get(campaigns_url(other)).status_code == 404
    assert client.get(segments_url(other)).status_code == 404
    # without the save permission the choice cannot be changed
    group_ = factories.create_random_contact_group(shop=shop)
    response = client.post(segments_url(shop) + "save/", {"group": [group_.pk]})
    assert response.status_code in (302, 400, 403) and not MailchimpTaggedGroup.objects.exists()


@pytest.mark.django_db
def test_the_tags_page_chooses_groups_and_shows_their_sync_status(admin, initialized, emulator):
    vip = factories.create_random_contact_group(shop=initialized.shop)
    vip.name = "VIP"
    vip.save()
    other = factories.create_random_contact_group(shop=initialized.shop)
    people = []
    for n in range(3):
        contact = PersonContact.objects.create(first_name="P", last_name=str(n), email="p%d@mailbox.org" % n,
                                               marketing_permission=True)
        contact.add_to_shop(initialized.shop)
        people.append(contact)
    vip.members.add(*people)
    content = admin.get(segments_url(initialized.shop)).content.decode()
    assert 'data-group="%d" data-status=""' % vip.pk in content
    response = admin.post(segments_url(initialized.shop) + "save/", {"group": [vip.pk]}, follow=True)
    assert "1 group(s) now kept as tags" in response.content.decode()
    assert list(MailchimpTaggedGroup.objects.values_list("group_id", flat=True)) == [vip.pk]
    content = admin.get(segments_url(initialized.shop)).content.decode()
    row = re.search(r'<tr data-group="%d" data-status="(\w*)">(.*?)</tr>' % vip.pk, content, re.S)
    assert row.group(1) == "synced"
    numbers = re.findall(r'<td class="text-right">(?:<strong>)?(\d+)', row.group(2))
    assert numbers == ["3", "3", "3", "0", "0"]  # in Shuup, on the audience, in the tag, to add, to remove
    assert re.search(r'data-status="synced">1</h3>', content)
    assert 'data-group="%d" data-status=""' % other.pk in content
    # Check and send now
    response = admin.post(segments_url(initialized.shop) + "sync/", follow=True)
    assert "1 tag(s) queued." in response.content.decode()


@pytest.mark.django_db
def test_the_tags_page_shows_a_failed_tag_with_its_error(admin, initialized, emulator, monkeypatch):
    from shuup_mailchimp.client import segments as api
    from shuup_mailchimp.exceptions import MailchimpPermanentError
    from shuup_mailchimp.sync import segments

    def refuse(*args, **kwargs):
        raise MailchimpPermanentError(status=400, title="Invalid Resource", detail="Tag name too long")

    monkeypatch.setattr(api, "create_tag", refuse)
    vip = factories.create_random_contact_group(shop=initialized.shop)
    segments.choose_groups(initialized.shop, [vip.pk])
    content = admin.get(segments_url(initialized.shop)).content.decode()
    assert 'data-group="%d" data-status="failed"' % vip.pk in content
    assert "Tag name too long" in content and re.search(r'data-status="failed">1</h3>', content)


@pytest.mark.django_db
def test_the_tags_page_of_a_shop_without_groups(admin, shop):
    content = admin.get(segments_url(shop)).content.decode()
    assert "mailchimp-segments-empty" in content and "mailchimp-segments-inactive" in content


@pytest.mark.django_db
def test_a_finnish_user_sees_the_pages_in_finnish(shop_settings, emulator, admin_user):
    from django.test import Client
    from django.utils import translation

    client = Client(HTTP_ACCEPT_LANGUAGE="fi")
    client.force_login(admin_user)
    try:
        campaigns = client.get(campaigns_url(shop_settings.shop)).content.decode("utf-8")
        tags = client.get(segments_url(shop_settings.shop)).content.decode("utf-8")
    finally:
        translation.activate("en")  # the request left Finnish active in this thread
    assert "Tuo kampanjat" in campaigns and "Kampanjoita ei ole vielä tuotu." in campaigns
    assert "Tunnisteiden synkronoinnin tila" in tags
