"""List webhooks: validation on create, API-source deliveries, fire_webhook, resolve_hosts."""
import pytest
import requests
from mailchimp3.mailchimpclient import MailChimpError

from .conftest import BASE, error_of

EVENTS = {"subscribe": True, "unsubscribe": True, "profile": True, "cleaned": True, "upemail": True,
          "campaign": False}


class Recorder:
    def __init__(self, status=200):
        self.status = status
        self.calls = []

    def __call__(self, method, url, data, headers):
        self.calls.append({"method": method, "url": url, "data": data, "headers": headers})
        return self.status

    def posts(self):
        return [c for c in self.calls if c["method"] == "POST"]


@pytest.fixture
def recorder(emu):
    emu.webhook_sender = Recorder()
    return emu.webhook_sender


def _hook(mc, list_id, api=True, user=True, url="https://shop.test/mailchimp/hook?token=s3cret"):
    return mc.lists.webhooks.create(list_id, {"url": url, "events": EVENTS,
                                              "sources": {"user": user, "admin": True, "api": api}})


def test_create_validates_with_get(mc, list_id, recorder):
    hook = _hook(mc, list_id)
    assert hook["events"]["subscribe"] is True and hook["events"]["campaign"] is False
    assert hook["list_id"] == list_id
    assert recorder.calls == [{"method": "GET", "url": "https://shop.test/mailchimp/hook?token=s3cret", "data": None,
                               "headers": {"User-Agent": "MailChimp.com WebHook Validator"}}]
    assert mc.lists.webhooks.all(list_id)["total_items"] == 1
    mc.lists.webhooks.update(list_id, hook["id"], {"events": {"campaign": True}})
    assert mc.lists.webhooks.get(list_id, hook["id"])["events"]["campaign"] is True
    mc.lists.webhooks.delete(list_id, hook["id"])
    assert mc.lists.webhooks.all(list_id)["total_items"] == 0


def test_create_with_failing_validation_is_400(mc, emu, list_id, recorder):
    recorder.status = 500
    with pytest.raises(MailChimpError) as excinfo:
        _hook(mc, list_id)
    assert error_of(excinfo)["status"] == 400
    assert emu.snapshot()["lists"][list_id]["webhooks"] == {}


def test_default_sender_refuses_non_loopback_hosts(mc, emu, list_id):
    # Unmapped dotted names are never contacted: validation fails fast.
    with pytest.raises(MailChimpError) as excinfo:
        _hook(mc, list_id, url="https://not-mapped.test/hook")
    assert error_of(excinfo)["status"] == 400


def test_api_changes_post_form_events_to_hooks_with_api_source(mc, emu, list_id, recorder):
    _hook(mc, list_id)
    mc.lists.members.create(list_id, {"email_address": "w@shop.test", "status": "subscribed",
                                      "merge_fields": {"FNAME": "Wendy"}})
    mc.lists.members.update(list_id, "w@shop.test", {"merge_fields": {"LNAME": "W"}})
    mc.lists.members.update(list_id, "w@shop.test", {"status": "unsubscribed"})
    posts = recorder.posts()
    assert [p["data"]["type"] for p in posts] == ["subscribe", "profile", "unsubscribe"]
    subscribe = posts[0]
    assert subscribe["headers"]["User-Agent"] == "MailChimp.com"
    assert subscribe["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert subscribe["data"]["data[email]"] == "w@shop.test"
    assert subscribe["data"]["data[merges][FNAME]"] == "Wendy"
    assert subscribe["data"]["data[merges][EMAIL]"] == "w@shop.test"
    assert subscribe["data"]["data[list_id]"] == list_id
    assert len(subscribe["data"]["fired_at"]) == 19 and subscribe["data"]["fired_at"][10] == " "
    assert posts[2]["data"]["data[action]"] == "unsub"
    assert [d["type"] for d in emu.webhook_deliveries] == ["subscribe", "profile", "unsubscribe"]
    assert all(d["status"] == 200 and d["error"] is None for d in emu.webhook_deliveries)


def test_hooks_without_api_source_get_no_api_events(mc, list_id, recorder):
    _hook(mc, list_id, api=False)
    mc.lists.members.create(list_id, {"email_address": "quiet@shop.test", "status": "subscribed"})
    assert recorder.posts() == []


def test_fire_webhook_applies_change_and_delivers(mc, emu, list_id, recorder):
    _hook(mc, list_id, api=False)
    mc.lists.members.create(list_id, {"email_address": "u@shop.test", "status": "subscribed"})
    records = emu.fire_webhook(list_id, "unsubscribe", "u@shop.test", campaign_id="c123")
    assert [r["status"] for r in records] == [200]
    assert recorder.posts()[-1]["data"]["data[campaign_id]"] == "c123"
    assert mc.lists.members.get(list_id, "u@shop.test")["status"] == "unsubscribed"
    emu.fire_webhook(list_id, "profile", "u@shop.test", merges={"FNAME": "Una"})
    assert mc.lists.members.get(list_id, "u@shop.test")["merge_fields"]["FNAME"] == "Una"
    emu.fire_webhook(list_id, "upemail", "u@shop.test", new_email="una@shop.test")
    assert recorder.posts()[-1]["data"]["data[old_email]"] == "u@shop.test"
    assert mc.lists.members.get(list_id, "una@shop.test")["status"] == "unsubscribed"
    emu.fire_webhook(list_id, "cleaned", "una@shop.test", reason="abuse")
    assert mc.lists.members.get(list_id, "una@shop.test")["status"] == "cleaned"
    assert recorder.posts()[-1]["data"]["data[reason]"] == "abuse"
    # A hook without the "user" source gets nothing from user events.
    emu.lists[list_id]["webhooks"].clear()
    _hook(mc, list_id, user=False)
    assert emu.fire_webhook(list_id, "subscribe", "fresh@shop.test") == []
    assert mc.lists.members.get(list_id, "fresh@shop.test")["status"] == "subscribed"


def test_fire_webhook_control_route(mc, emu, list_id, recorder):
    _hook(mc, list_id)
    mc.lists.members.create(list_id, {"email_address": "r@shop.test", "status": "subscribed"})
    response = requests.post(BASE + "/_emulator/fire-webhook", json={
        "list_id": list_id, "type": "unsubscribe", "email": "r@shop.test", "source": "admin", "data": {}})
    assert response.status_code == 200 and response.json()["deliveries"][0]["type"] == "unsubscribe"
    assert emu.snapshot()["lists"][list_id]["members"][mc.lists.members.get(list_id, "r@shop.test")["id"]][
        "status"] == "unsubscribed"


def test_control_routes_state_reset_config(emu, list_id):
    state = requests.get(BASE + "/_emulator/state").json()
    assert list_id in state["lists"] and set(state) >= {"lists", "stores", "batches", "batch_webhooks",
                                                        "campaigns", "stats"}
    config = requests.post(BASE + "/_emulator/config", json={"fault_rate": 0.5, "latency": 0, "seed": 3}).json()
    assert config["fault_rate"] == 0.5 and emu.fault_rate == 0.5
    assert requests.post(BASE + "/_emulator/reset").status_code == 200
    assert emu.snapshot()["lists"] == {}
