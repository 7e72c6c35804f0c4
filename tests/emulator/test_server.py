"""The emulator over real loopback HTTP: ping, batches + archive, 429 under concurrency, drops, webhooks."""
import threading
import time

import pytest
import requests
from mailchimp3.helpers import get_subscriber_hash
from mailchimp3.mailchimpclient import MailChimpError

from shuup_mailchimp.testing import EmulatorServer, MailchimpEmulator

from .conftest import KEY, make_client, wait_finished
from .test_batches import _operations, read_results

pytestmark = pytest.mark.emulator_server


def test_ping_and_public_url(server):
    assert server.url.startswith("http://127.0.0.1:")
    assert server.emulator.public_url == server.url
    assert make_client(server.url).ping.get() == {"health_status": "Everything's Chimpy!"}
    response = requests.get(server.url + "/3.0/ping")
    assert response.status_code == 401 and response.headers["Content-Type"].startswith("application/problem+json")
    assert response.headers["X-Request-Id"]


def test_batch_run_and_archive_download(server):
    emu = server.emulator
    list_id = emu.create_list()["id"]
    client = make_client(server.url)
    batch = client.batches.create({"operations": _operations(list_id)})
    finished = wait_finished(client, batch["id"])
    assert finished["status"] == "finished" and finished["errored_operations"] == 1
    assert finished["response_body_url"].startswith(server.url + "/_emulator/batches/")
    results = read_results(finished["response_body_url"])  # no auth
    assert sorted(r["operation_id"] for r in results) == ["list_get", "member_1", "member_dup", "tags"]
    assert client.lists.members.get(list_id, "b1@shop.test")["status"] == "subscribed"


def test_more_than_ten_concurrent_requests_get_429():
    emu = MailchimpEmulator(latency=0.8)
    srv = EmulatorServer(emu).start()
    try:
        statuses = []
        barrier = threading.Barrier(12)

        def call():
            barrier.wait()
            statuses.append(requests.get(srv.url + "/3.0/ping", auth=("x", KEY), timeout=10))

        threads = [threading.Thread(target=call) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        codes = sorted(r.status_code for r in statuses)
        assert codes == [200] * 10 + [429] * 2
        throttled = [r for r in statuses if r.status_code == 429][0].json()
        assert throttled["title"] == "Too Many Requests"
        assert throttled["detail"] == "You have exceeded the limit of 10 simultaneous connections."
        assert emu.stats["rate_limited"] == 2
        # The limit is about simultaneous requests: sequential ones are fine again.
        assert requests.get(srv.url + "/3.0/ping", auth=("x", KEY)).status_code == 200
    finally:
        srv.stop()


def test_dropped_connection_raises_connection_error_and_write_is_not_applied():
    emu = MailchimpEmulator(fault_rate=1.0, seed=0)
    srv = EmulatorServer(emu).start()
    try:
        list_id = emu.create_list()["id"]
        emu.faults.draw = lambda: "drop"
        client = make_client(srv.url)
        with pytest.raises(requests.exceptions.ConnectionError):
            client.lists.members.create(list_id, {"email_address": "d@shop.test", "status": "subscribed"})
        emu.fault_rate = 0.0
        del emu.faults.draw
        with pytest.raises(MailChimpError):
            client.lists.members.get(list_id, "d@shop.test")
        assert emu.stats["faults"] == 1
    finally:
        srv.stop()


def test_webhook_validation_and_delivery_to_loopback_receiver(server, receiver):
    emu = server.emulator
    list_id = emu.create_list()["id"]
    client = make_client(server.url)
    # mailchimp3 refuses IP/localhost URLs (check_url), so register a dotted name mapped to loopback.
    emu.resolve_hosts["shop.test"] = receiver.address
    hook = client.lists.webhooks.create(list_id, {
        "url": "https://shop.test/mailchimp/webhook/?token=abc",
        "events": {"subscribe": True, "unsubscribe": True, "profile": True, "cleaned": True, "upemail": True,
                   "campaign": True},
        "sources": {"user": True, "admin": True, "api": True}})
    validation = receiver.requests[0]
    assert validation["method"] == "GET" and validation["path"] == "/mailchimp/webhook/?token=abc"
    assert validation["headers"]["User-Agent"] == "MailChimp.com WebHook Validator"
    assert validation["headers"]["Host"] == "shop.test"
    client.lists.members.create_or_update(list_id, get_subscriber_hash("h@shop.test"), {
        "email_address": "h@shop.test", "status_if_new": "subscribed", "merge_fields": {"FNAME": "Hal"}})
    emu.fire_webhook(list_id, "unsubscribe", "h@shop.test")
    posts = receiver.posts()
    assert [p["form"]["type"] for p in posts] == ["subscribe", "unsubscribe"]
    assert posts[0]["headers"]["User-Agent"] == "MailChimp.com"
    assert posts[0]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert posts[0]["form"]["data[merges][FNAME]"] == "Hal"
    assert posts[1]["form"]["data[email]"] == "h@shop.test"
    assert client.lists.members.get(list_id, "h@shop.test")["status"] == "unsubscribed"
    assert [d["status"] for d in emu.webhook_deliveries] == [200, 200]
    assert hook["id"] in emu.snapshot()["lists"][list_id]["webhooks"]


def test_webhook_validation_against_unreachable_loopback_port_is_400(server, receiver):
    emu = server.emulator
    list_id = emu.create_list()["id"]
    port = receiver.port
    receiver.close()
    emu.resolve_hosts["gone.test"] = f"127.0.0.1:{port}"
    started = time.monotonic()
    with pytest.raises(MailChimpError) as excinfo:
        make_client(server.url).lists.webhooks.create(list_id, {"url": "https://gone.test/hook"})
    assert excinfo.value.args[0]["status"] == 400
    assert time.monotonic() - started < 5


def test_async_webhooks_deliver_in_background(server, receiver):
    emu = server.emulator
    emu.async_webhooks = True
    list_id = emu.create_list()["id"]
    emu.resolve_hosts["shop.test"] = receiver.address
    client = make_client(server.url)
    client.lists.webhooks.create(list_id, {"url": "http://shop.test/hook"})
    client.lists.members.create(list_id, {"email_address": "bg@shop.test", "status": "subscribed"})
    emu.wait_for_webhooks()
    assert [p["form"]["type"] for p in receiver.posts()] == ["subscribe"]
