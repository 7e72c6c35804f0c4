"""Campaign import (paged, fields=, in place, reports refreshed until stable), the command and the
daily task, and Shuup's report of the campaigns."""
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from shuup_mailchimp.client import campaigns as api
from shuup_mailchimp.models import MailchimpCampaign, MailchimpLogEntry
from shuup_mailchimp.sync.campaigns import import_campaigns


def iso(moment):
    return moment.replace(microsecond=0).isoformat()


@pytest.fixture
def requests_seen(emulator, monkeypatch):
    """(method, path, query) of every API request the emulator serves."""
    seen = []
    handle = emulator.handle

    def spy(method, path, query_string, headers, body):
        seen.append((method, path, query_string))
        return handle(method, path, query_string, headers, body)

    monkeypatch.setattr(emulator, "handle", spy)
    return seen


@pytest.fixture
def seeded(emulator, shop_settings):
    """An old sent campaign, a recent one, one still sending, and a draft, on the shop's audience; and
    one on another audience (not the shop's)."""
    now = timezone.now()
    list_id = shop_settings.audience_id
    old = emulator.seed_campaign(list_id, id="c0ld000001", title="Spring sale", subject_line="Spring is here",
                                 send_time=iso(now - timedelta(days=60)), opens=300, unique_opens=120,
                                 clicks=40, subscriber_clicks=25, hard_bounces=2, soft_bounces=3,
                                 abuse_reports=1)
    recent = emulator.seed_campaign(list_id, id="rec0000002", title="Summer news", send_time=iso(now - timedelta(
        days=3)), opens=50, unique_opens=30, clicks=9, subscriber_clicks=6)
    sending = emulator.seed_campaign(list_id, id="snd0000003", title="Autumn", status="sending",
                                     send_time=iso(now - timedelta(hours=1)), opens=1, unique_opens=1)
    draft = emulator.seed_campaign(list_id, id="drf0000004", title="Winter draft", status="save", send_time="")
    other_list = emulator.create_list(name="Other audience")
    emulator.seed_campaign(other_list["id"], id="oth0000005", title="Not ours")
    return {"old": old, "recent": recent, "sending": sending, "draft": draft}


@pytest.mark.django_db
def test_import_reads_campaigns_and_reports_into_the_shop(shop_settings, emulator, seeded):
    emulator.subscribe_as_person(shop_settings.audience_id, "reader@mailbox.org")
    summary = import_campaigns(shop_settings)
    assert (summary.campaigns, summary.created, summary.reports) == (4, 4, 3)
    rows = {c.campaign_id: c for c in MailchimpCampaign.objects.filter(shop=shop_settings.shop)}
    assert set(rows) == {"c0ld000001", "rec0000002", "snd0000003", "drf0000004"}
    old = rows["c0ld000001"]
    assert (old.title, old.subject, old.type, old.status) == ("Spring sale", "Spring is here", "regular", "sent")
    assert old.send_time < timezone.now() - timedelta(days=59)
    report = emulator.snapshot()["campaigns"]["c0ld000001"]["report"]
    assert (old.emails_sent, old.opens, old.unique_opens, old.clicks, old.unique_clicks) == (
        report["emails_sent"], 300, 120, 40, 25)
    assert old.open_rate == pytest.approx(report["opens"]["open_rate"])
    assert (old.hard_bounces, old.soft_bounces, old.bounces, old.abuse_reports) == (2, 3, 5, 1)
    assert old.report_final and not rows["rec0000002"].report_final and not rows["snd0000003"].report_final
    draft = rows["drf0000004"]
    assert draft.status == "save" and draft.report_fetched_on is None and draft.send_time is None
    assert MailchimpLogEntry.objects.filter(shop_id=shop_settings.shop_id, operation="import_campaigns").exists()


@pytest.mark.django_db
def test_reimport_updates_in_place_and_refreshes_only_changing_reports(shop_settings, emulator, seeded,
                                                                      requests_seen):
    import_campaigns(shop_settings)
    pks = dict(MailchimpCampaign.objects.values_list("campaign_id", "pk"))
    emulator.update_campaign("snd0000003", opens=80, unique_opens=60, status="sent")
    emulator.update_campaign("c0ld000001", opens=999)  # a final report is not read again
    emulator.update_campaign("drf0000004", title="Winter, final title")
    del requests_seen[:]
    summary = import_campaigns(shop_settings)
    assert summary.created == 0 and summary.updated == 4
    assert dict(MailchimpCampaign.objects.values_list("campaign_id", "pk")) == pks  # same rows
    rows = {c.campaign_id: c for c in MailchimpCampaign.objects.all()}
    assert (rows["snd0000003"].status, rows["snd0000003"].opens, rows["snd0000003"].unique_opens) == ("sent", 80, 60)
    assert rows["c0ld000001"].opens == 300
    assert rows["drf0000004"].title == "Winter, final title"
    reports_read = sorted(path.rsplit("/", 1)[-1] for method, path, _q in requests_seen if "/reports/" in path)
    assert reports_read == ["rec0000002", "snd0000003"]
    # --refresh reads the final ones too
    import_campaigns(shop_settings, refresh_all=True)
    assert MailchimpCampaign.objects.get(campaign_id="c0ld000001").opens == 999


@pytest.mark.django_db
def test_a_report_becomes_final_once_the_campaign_is_old_enough(shop_settings, emulator, seeded):
    import_campaigns(shop_settings)
    later = timezone.now() + timedelta(days=15)
    import_campaigns(shop_settings, now=later)
    rows = {c.campaign_id: c for c in MailchimpCampaign.objects.all()}
    assert rows["rec0000002"].report_final  # sent 3 days ago, read 15 days later: stable
    assert not rows["snd0000003"].report_final  # still sending: never final


@pytest.mark.django_db
def test_paging_uses_count_offset_and_fields(shop_settings, emulator, seeded, requests_seen, monkeypatch):
    monkeypatch.setattr(api, "PAGE_SIZE", 3)
    import_campaigns(shop_settings)
    listing = [q for method, path, q in requests_seen if path.endswith("/3.0/campaigns")]
    assert len(listing) == 2  # 4 campaigns, 3 per page
    assert "offset=0" in listing[0] and "offset=3" in listing[1] and "count=3" in listing[0]
    assert all("fields=campaigns.id" in q and "list_id=%s" % shop_settings.audience_id in q for q in listing)
    reports = [q for method, path, q in requests_seen if "/3.0/reports/" in path]
    assert reports and all("fields=" in q for q in reports)
    assert MailchimpCampaign.objects.count() == 4


@pytest.mark.django_db
def test_since_only_reads_campaigns_sent_since(shop_settings, emulator, seeded):
    summary = import_campaigns(shop_settings, since=timezone.now() - timedelta(days=10))
    assert summary.campaigns == 2  # the recent and the sending one (a draft has no send time)
    assert set(MailchimpCampaign.objects.values_list("campaign_id", flat=True)) == {"rec0000002", "snd0000003"}


@pytest.mark.django_db
def test_the_command(shop_settings, emulator, seeded):
    out = StringIO()
    call_command("mailchimp_import_campaigns", "--shop", str(shop_settings.shop_id), stdout=out)
    assert "4 campaign(s) read (4 new, 0 updated), 3 report(s) read" in out.getvalue()
    out = StringIO()
    call_command("mailchimp_import_campaigns", "--shop", str(shop_settings.shop_id),
                 "--since", (timezone.now() - timedelta(days=10)).date().isoformat(), stdout=out)
    assert "2 campaign(s) read (0 new, 2 updated)" in out.getvalue()
    with pytest.raises(CommandError, match="--since takes a date"):
        call_command("mailchimp_import_campaigns", "--shop", str(shop_settings.shop_id), "--since", "yesterday")
    with pytest.raises(CommandError, match="No shop with id 999"):
        call_command("mailchimp_import_campaigns", "--shop", "999")


@pytest.mark.django_db
def test_the_command_says_what_is_wrong(shop, emulator):
    with pytest.raises(CommandError, match="no Mailchimp API key or audience"):
        call_command("mailchimp_import_campaigns", "--shop", str(shop.pk))


@pytest.mark.django_db
def test_a_report_that_cannot_be_read_is_tried_again_next_time(shop_settings, emulator, seeded, monkeypatch):
    from shuup_mailchimp.exceptions import MailchimpTransientError

    real = api.get_report

    def flaky(client, campaign_id):
        if campaign_id == "rec0000002":
            raise MailchimpTransientError(status=503, title="Service Unavailable", detail="try later")
        return real(client, campaign_id)

    monkeypatch.setattr(api, "get_report", flaky)
    summary = import_campaigns(shop_settings)
    assert summary.reports == 2 and summary.errors and "rec0000002" in summary.errors[0]
    with pytest.raises(CommandError, match="could not be read"):
        call_command("mailchimp_import_campaigns", "--shop", str(shop_settings.shop_id), stdout=StringIO())
    monkeypatch.setattr(api, "get_report", real)
    assert not import_campaigns(shop_settings).errors
    assert MailchimpCampaign.objects.get(campaign_id="rec0000002").opens == 50


@pytest.mark.django_db
def test_the_daily_task_imports_every_enabled_shop(shop_settings, emulator, seeded, settings):
    from shuup_mailchimp import tasks

    assert tasks.beat_schedule()["shuup-mailchimp-import-campaigns"]["schedule"] == 24 * 3600.0
    settings.SHUUP_MAILCHIMP_CAMPAIGN_IMPORT_INTERVAL = None
    assert "shuup-mailchimp-import-campaigns" not in tasks.beat_schedule()
    results = tasks.import_campaigns()
    assert "4 campaign(s) read" in results[shop_settings.shop_id]
    assert MailchimpCampaign.objects.count() == 4


@pytest.mark.django_db
def test_the_daily_task_goes_on_when_one_shop_fails(shop_settings, emulator, seeded):
    from shuup.testing import factories

    from shuup_mailchimp.models import MailchimpShopSettings
    from shuup_mailchimp.sync.campaigns import import_for_active_shops

    broken_shop = factories.get_shop(identifier="broken", name="Broken", domain="broken.example-shop.com")
    MailchimpShopSettings.objects.create(shop=broken_shop, api_key="not-a-key-us1",
                                         audience_id="somelist", enabled=True)
    results = import_for_active_shops()
    assert results[broken_shop.pk].startswith("failed:")
    assert "4 campaign(s) read" in results[shop_settings.shop_id]


@pytest.mark.django_db
def test_shuups_report_lists_the_campaigns_with_totals(shop_settings, emulator, seeded, rf, admin_user):
    from shuup.reports.forms import DateRangeChoices
    from shuup.reports.report import get_report_classes
    from shuup.reports.writer import get_writer_instance

    from shuup_mailchimp.reports import MailchimpCampaignReport

    assert get_report_classes()["mailchimp_campaigns"] is MailchimpCampaignReport
    import_campaigns(shop_settings)
    report = MailchimpCampaignReport(shop=shop_settings.shop_id, date_range=DateRangeChoices.ALL_TIME)
    data = report.get_data()
    titles = [row["title"] for row in data["data"]]
    assert titles == ["Spring sale", "Summer news", "Autumn"]  # sent ones, oldest first; no draft
    spring = data["data"][0]
    assert spring["open_rate"].endswith("%") and spring["opens"] == 300 and spring["bounces"] == 5
    totals = report.get_totals(data["data"])
    assert totals["opens"] == 351 and totals["open_rate"] is None
    output = get_writer_instance("json").render_report(report)
    assert "Spring sale" in output and "Summer news" in output
    csv = get_writer_instance("csv").get_response(MailchimpCampaignReport(shop=shop_settings.shop_id,
                                                                           date_range=DateRangeChoices.ALL_TIME))
    assert b"Spring sale" in csv.content
    # a date range picks the campaigns sent in it
    week = MailchimpCampaignReport(shop=shop_settings.shop_id,
                                   date_range=DateRangeChoices.RUNNING_WEEK).get_data()["data"]
    assert [row["title"] for row in week] == ["Summer news", "Autumn"]


@pytest.mark.django_db
def test_the_report_in_shuups_reports_admin(shop_settings, emulator, seeded, admin_client):
    import_campaigns(shop_settings)
    response = admin_client.post("/sa/reports/", {
        "report": "mailchimp_campaigns", "shop": shop_settings.shop_id, "date_range": "all_time",
        "writer": "html", "force_download": ""})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Spring sale" in content and "Summer news" in content


@pytest.mark.parametrize("writer", ["csv", "excel"])
def test_the_report_exports_one_totals_row(shop_settings, emulator, seeded, admin_client, writer):
    import csv
    import io

    import openpyxl

    import_campaigns(shop_settings)
    response = admin_client.post("/sa/reports/", {
        "report": "mailchimp_campaigns", "shop": shop_settings.shop_id, "date_range": "all_time",
        "writer": writer, "force_download": "on"})
    assert response.status_code == 200
    if writer == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode())))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    sent = MailchimpCampaign.objects.filter(send_time__isnull=False)
    header = rows[1]
    assert header[:2] == ["Sent", "Campaign"]
    assert len(rows) == 2 + sent.count() + 1  # title, header, one row per sent campaign, the totals
    totals = dict(zip(header, rows[-1]))
    assert int(float(totals["Opens"])) == sum(c.opens for c in sent) > 0
    assert not totals["Campaign"]


def test_values_of_a_campaign_and_a_report():
    from shuup_mailchimp.sync.campaigns import campaign_values, report_values

    values = campaign_values({"id": "x", "web_id": 7, "type": "regular", "status": "sent",
                              "send_time": "2024-05-01T10:00:00+00:00", "emails_sent": 10,
                              "recipients": {"list_id": "L"}, "settings": {"title": "T", "subject_line": "S"}})
    assert (values["title"], values["subject"], values["list_id"], values["emails_sent"]) == ("T", "S", "L", 10)
    assert values["send_time"].isoformat() == "2024-05-01T10:00:00+00:00"
    assert campaign_values({"id": "y", "send_time": ""})["send_time"] is None
    report = report_values({"ecommerce": {"total_orders": 2, "total_revenue": 12.345, "total_spent": 20,
                                          "currency_code": "EUR"}, "clicks": {"unique_subscriber_clicks": 4}})
    assert (report["orders"], report["revenue"], report["total_spent"], report["unique_clicks"]) == (
        2, Decimal("12.35"), Decimal("20.00"), 4)
