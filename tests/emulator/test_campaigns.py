"""Campaigns and reports seeded with seed_campaign, and the list batch-subscribe endpoint."""
import pytest
from mailchimp3.mailchimpclient import MailChimpError

from .conftest import error_of


def test_campaigns_and_reports(mc, emu, list_id):
    for email in ("a@shop.test", "b@shop.test", "c@shop.test"):
        mc.lists.members.create(list_id, {"email_address": email, "status": "subscribed"})
    other_list = emu.create_list("Other")["id"]
    campaign = emu.seed_campaign(list_id, subject_line="Spring sale", opens=9, unique_opens=2, clicks=4,
                                 subscriber_clicks=1, unsubscribed=["c@shop.test"])
    emu.seed_campaign(other_list, status="save")
    assert campaign["status"] == "sent" and campaign["emails_sent"] == 3
    assert mc.lists.members.get(list_id, "c@shop.test")["status"] == "unsubscribed"
    sent = mc.campaigns.all(status="sent")
    assert [c["id"] for c in sent["campaigns"]] == [campaign["id"]]
    assert mc.campaigns.all(list_id=other_list)["total_items"] == 1
    fetched = mc.campaigns.get(campaign["id"])
    assert fetched["settings"]["subject_line"] == "Spring sale"
    assert fetched["report_summary"]["open_rate"] == round(2 / 3, 4)
    report = mc.reports.get(campaign["id"])
    assert (report["opens"]["opens_total"], report["clicks"]["clicks_total"], report["unsubscribed"]) == (9, 4, 1)
    assert mc.reports.all()["total_items"] == 2
    unsubscribes = mc.reports.unsubscribes.all(campaign["id"])
    assert [u["email_address"] for u in unsubscribes["unsubscribes"]] == ["c@shop.test"]
    with pytest.raises(MailChimpError) as excinfo:
        mc.reports.get("nope")
    assert error_of(excinfo)["status"] == 404
    assert emu.snapshot()["campaigns"][campaign["id"]]["report"]["emails_sent"] == 3


def test_batch_subscribe_endpoint(mc, list_id):
    mc.lists.members.create(list_id, {"email_address": "old@shop.test", "status": "subscribed"})
    result = mc.lists.update_members(list_id, {"members": [
        {"email_address": "new@shop.test", "status": "subscribed"},
        {"email_address": "old@shop.test", "status": "subscribed"},
        {"email_address": "bad@example.com", "status": "subscribed"}], "update_existing": False})
    assert [m["email_address"] for m in result["new_members"]] == ["new@shop.test"]
    assert [e["error_code"] for e in result["errors"]] == ["ERROR_CONTACT_EXISTS", "ERROR_GENERIC"]
    updated = mc.lists.update_members(list_id, {"members": [
        {"email_address": "old@shop.test", "status": "unsubscribed"}], "update_existing": True})
    assert updated["total_updated"] == 1
    assert mc.lists.members.get(list_id, "old@shop.test")["status"] == "unsubscribed"
