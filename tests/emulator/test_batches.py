"""Batch operations (in-process) and batch webhooks."""
import io
import json
import tarfile

import pytest
import requests
from mailchimp3.helpers import get_subscriber_hash
from mailchimp3.mailchimpclient import MailChimpError

from .conftest import error_of, wait_finished


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
    emu.batch_processing = "manual"
    created = mc.batches.create({"operations": _operations(list_id)})
    assert created["status"] == "pending" and created["total_operations"] == 4 and created["completed_at"] == ""
    # The write is not applied until the batch runs.
    assert emu.snapshot()["lists"][list_id]["members"] == {}
    assert mc.batches.get(created["id"])["status"] == "pending"
    writes_before = emu.stats["writes"]
    assert emu.process_batches() == 1
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
    wait_finished(mc, batch["id"])
    emu.wait_for_batches()
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


def test_batches_run_in_the_background_pending_started_finished(mc, emu, list_id):
    emu.batch_start_delay = 0.2
    emu.batch_operation_time = 0.001
    operations = [
        {"method": "PUT", "path": f"/lists/{list_id}/members/{get_subscriber_hash('p%d@shop.test' % n)}",
         "operation_id": "m%d" % n, "body": json.dumps({"email_address": "p%d@shop.test" % n,
                                                        "status_if_new": "subscribed"})}
        for n in range(600)
    ]
    created = mc.batches.create({"operations": operations})
    assert created["status"] == "pending"
    seen = {created["status"]}
    finished_counts = []
    while True:
        batch = mc.batches.get(created["id"])
        seen.add(batch["status"])
        finished_counts.append(batch["finished_operations"])
        if batch["status"] == "finished":
            break
    assert {"pending", "started", "finished"} <= seen
    assert finished_counts == sorted(finished_counts) and finished_counts[-1] == 600
    assert any(0 < n < 600 for n in finished_counts)  # progress is visible while it runs
    assert len(read_results(batch["response_body_url"])) == 600


def test_operation_failures_do_not_fail_the_batch(mc, emu, list_id):
    batch = wait_finished(mc, mc.batches.create({"operations": _operations(list_id)})["id"])
    assert batch["status"] == "finished" and batch["errored_operations"] == 1
    by_id = {r["operation_id"]: r for r in read_results(batch["response_body_url"])}
    problem = json.loads(by_id["member_dup"]["response"])
    assert by_id["member_dup"]["status_code"] == 400 and problem["status"] == 400 and problem["detail"]


def test_archives_expire(mc, emu, list_id):
    emu.batch_archive_ttl = 60
    batch = wait_finished(mc, mc.batches.create({"operations": _operations(list_id)})["id"])
    assert requests.get(batch["response_body_url"]).status_code == 200
    emu.expire_batch_archives()
    expired = requests.get(batch["response_body_url"])
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    emu.batch_archive_ttl = 0  # a lifetime of zero: dead as soon as it is written
    batch = wait_finished(mc, mc.batches.create({"operations": _operations(list_id)[:1]})["id"])
    assert requests.get(batch["response_body_url"]).status_code == 403


def test_deleted_batch_stops_and_has_no_results(mc, emu, list_id):
    emu.batch_processing = "manual"
    batch = mc.batches.create({"operations": _operations(list_id)})
    mc.batches.delete(batch["id"])
    assert emu.process_batches() == 0
    assert emu.snapshot()["lists"][list_id]["members"] == {}
    assert requests.get(f"{emu.public_url}/_emulator/batches/{batch['id']}/results.tar.gz").status_code == 404


def test_on_read_mode_runs_a_batch_when_it_is_read(mc, emu, list_id):
    emu.batch_processing = "on_read"
    batch = mc.batches.create({"operations": _operations(list_id)})
    assert mc.batches.get(batch["id"])["status"] == "finished"


def test_batch_options_through_the_control_api(emu):
    answer = requests.post(f"{emu.public_url}/_emulator/config", json={
        "batch_processing": "manual", "batch_start_delay": 0.5, "batch_operation_time": 0.01,
        "batch_archive_ttl": 30}).json()
    assert (answer["batch_processing"], answer["batch_start_delay"], answer["batch_archive_ttl"]) == ("manual", 0.5, 30)
    assert emu.batch_operation_time == 0.01
    assert requests.post(f"{emu.public_url}/_emulator/config", json={"batch_processing": "never"}).status_code == 400
