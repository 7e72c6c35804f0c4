"""Batch operations (in-process) and batch webhooks."""
import io
import json
import tarfile

import pytest
import requests
from mailchimp3.helpers import get_subscriber_hash
from mailchimp3.mailchimpclient import MailChimpError

from .conftest import error_of


def read_results(url):
    """Download a batch archive (no auth) and return all result entries."""
    response = requests.get(url)
    assert response.status_code == 200
    entries = []
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as tar:
        for member in tar.getmembers():
            assert member.name.endswith(".json")
            entries.extend(json.loads(tar.extractfile(member).read()))
    return entries


def _operations(list_id):
    return [
        {"method": "PUT", "path": f"/lists/{list_id}/members/{get_subscriber_hash('b1@shop.test')}",
         "operation_id": "member_1", "body": json.dumps({"email_address": "b1@shop.test",
                                                         "status_if_new": "subscribed"})},
        {"method": "POST", "path": f"/lists/{list_id}/members", "operation_id": "member_dup",
         "body": json.dumps({"email_address": "b1@shop.test", "status": "subscribed"})},
        {"method": "GET", "path": f"/lists/{list_id}/members", "operation_id": "list_get",
         "params": {"count": 1, "fields": "total_items"}},
        {"method": "POST", "path": f"/lists/{list_id}/members/{get_subscriber_hash('b1@shop.test')}/tags",
         "operation_id": "tags", "body": json.dumps({"tags": [{"name": "Batch", "status": "active"}]})},
    ]


def test_batch_runs_every_operation_against_the_same_state(mc, emu, list_id):
    created = mc.batches.create({"operations": _operations(list_id)})
    assert created["status"] == "pending" and created["total_operations"] == 4 and created["completed_at"] == ""
    # The write is not applied until the batch runs.
    assert emu.snapshot()["lists"][list_id]["members"] == {}
    writes_before = emu.stats["writes"]
    finished = mc.batches.get(created["id"])
    assert finished["status"] == "finished"
    assert (finished["finished_operations"], finished["errored_operations"]) == (4, 1)
    assert finished["submitted_at"] and finished["completed_at"]
    assert finished["response_body_url"].startswith(emu.public_url + "/")
    assert emu.stats["writes"] - writes_before == 2  # the PUT and the tags POST
    results = {entry["operation_id"]: entry for entry in read_results(finished["response_body_url"])}
    assert results["member_1"]["status_code"] == 200
    assert json.loads(results["member_1"]["response"])["status"] == "subscribed"
    assert results["member_dup"]["status_code"] == 400
    assert json.loads(results["member_dup"]["response"])["title"] == "Member Exists"
    assert json.loads(results["list_get"]["response"]) == {"total_items": 1}
    assert results["tags"]["status_code"] == 204 and results["tags"]["response"] == ""
    assert mc.lists.members.get(list_id, "b1@shop.test")["tags"][0]["name"] == "Batch"
    assert mc.batches.all()["total_items"] == 1


def test_batch_body_must_be_a_json_string(mc, emu, list_id):
    with pytest.raises(MailChimpError) as excinfo:
        mc.batches.create({"operations": [{"method": "POST", "path": f"/lists/{list_id}/members",
                                           "body": {"email_address": "x@shop.test", "status": "subscribed"}}]})
    assert error_of(excinfo)["status"] == 400
    assert emu.batches == {}


def test_batch_delete(mc, list_id):
    batch = mc.batches.create({"operations": _operations(list_id)})
    assert mc.batches.delete(batch["id"]) is None
    with pytest.raises(MailChimpError) as excinfo:
        mc.batches.get(batch["id"])
    assert error_of(excinfo)["status"] == 404


def test_batch_webhooks_validate_limit_and_notify(mc, emu, list_id):
    calls = []

    def sender(method, url, data, headers):
        calls.append((method, url, data, headers))
        return 200

    emu.webhook_sender = sender
    hook = mc.batch_webhooks.create({"url": "https://shop.test/batch-hook"})
    assert hook["enabled"] is True
    assert calls[0][0] == "GET" and calls[0][3]["User-Agent"] == "MailChimp.com WebHook Validator"
    batch = mc.batches.create({"operations": _operations(list_id)[:1]})
    mc.batches.get(batch["id"])
    method, url, data, headers = calls[-1]
    assert (method, url) == ("POST", "https://shop.test/batch-hook")
    assert data["type"] == "batch_operation_completed"
    assert data["data[id]"] == batch["id"] and data["data[status]"] == "finished"
    assert data["data[response_body_url]"].endswith("results.tar.gz")
    mc.batch_webhooks.update(hook["id"], {"url": hook["url"], "enabled": False})
    assert mc.batch_webhooks.get(hook["id"])["enabled"] is False
    for i in range(19):
        mc.batch_webhooks.create({"url": f"https://shop.test/hook{i}"})
    with pytest.raises(MailChimpError) as excinfo:
        mc.batch_webhooks.create({"url": "https://shop.test/one-too-many"})
    assert error_of(excinfo)["status"] == 400
    mc.batch_webhooks.delete(hook["id"])
    assert mc.batch_webhooks.all()["total_items"] == 19


def test_batch_webhook_validation_failure_is_400(mc, emu):
    emu.webhook_sender = lambda method, url, data, headers: 404
    with pytest.raises(MailChimpError) as excinfo:
        mc.batch_webhooks.create({"url": "https://shop.test/missing"})
    assert error_of(excinfo)["status"] == 400
    assert emu.batch_webhooks == {}
