"""Fault injection (seeded, decided before handling), bodiless throttling, latency (in-process)."""
import pytest
import requests
from mailchimp3.mailchimpclient import MailChimpError

from shuup_mailchimp.testing import MailchimpEmulator, mock_mailchimp

from .conftest import BASE, KEY, make_client


def _outcomes(seed, n=60):
    emu = MailchimpEmulator(fault_rate=0.5, seed=seed)
    list_id = emu.create_list()["id"]
    outcomes = []
    with mock_mailchimp(BASE, emu):
        for i in range(n):
            try:
                response = requests.post(BASE + f"/3.0/lists/{list_id}/members", auth=("x", KEY),
                                         json={"email_address": f"f{i}@shop.test", "status": "subscribed"})
                outcomes.append(response.status_code)
            except requests.exceptions.ConnectionError:
                outcomes.append("drop")
    return emu, list_id, outcomes


def test_faults_are_seeded_and_writes_with_faults_are_not_applied():
    emu, list_id, outcomes = _outcomes(seed=7)
    assert outcomes == _outcomes(seed=7)[2]
    assert set(outcomes) == {200, 429, 500, 503, "drop"}
    members = emu.snapshot()["lists"][list_id]["members"]
    assert len(members) == outcomes.count(200)
    assert emu.stats["faults"] == len(outcomes) - outcomes.count(200)
    assert emu.stats["writes"] == outcomes.count(200)


def test_injected_faults_reach_mailchimp3_as_errors():
    emu = MailchimpEmulator(fault_rate=1.0, seed=1)
    with mock_mailchimp(BASE, emu):
        client = make_client(BASE)
        seen = set()
        for _ in range(30):
            try:
                client.ping.get()
            except MailChimpError as error:
                seen.add(error.args[0]["status"])
            except requests.exceptions.ConnectionError:
                seen.add("drop")
        assert seen == {429, 500, 503, "drop"}
        # The control routes are never faulted.
        assert requests.get(BASE + "/_emulator/state").status_code == 200


@pytest.mark.parametrize("status", [429, 403])
def test_bodiless_throttle_leaves_only_response(status):
    emu = MailchimpEmulator(fault_rate=0.0, max_concurrent=0)
    emu.bodiless_throttle_status = status
    emu.limiter.max_concurrent = 1
    emu.limiter.enter(KEY)  # one request already in flight for this key
    with mock_mailchimp(BASE, emu):
        with pytest.raises(MailChimpError) as excinfo:
            make_client(BASE).ping.get()
    assert set(excinfo.value.args[0]) == {"response"}
    assert excinfo.value.args[0]["response"].status_code == status
    assert emu.stats["rate_limited"] == 1


def test_concurrency_limit_counts_per_key():
    emu = MailchimpEmulator(max_concurrent=2)
    for _ in range(2):
        assert emu.limiter.enter(KEY)
    with mock_mailchimp(BASE, emu):
        throttled = requests.get(BASE + "/3.0/ping", auth=("x", KEY))
        other_key = requests.get(BASE + "/3.0/ping", auth=("x", "f" * 32 + "-us1"))
    assert throttled.status_code == 429
    assert throttled.json()["detail"] == "You have exceeded the limit of 10 simultaneous connections."
    assert other_key.status_code == 200


def test_concurrent_writes_are_all_applied_and_snapshot_is_json():
    import base64
    import json
    import threading

    emu = MailchimpEmulator(max_concurrent=100)
    list_id = emu.create_list()["id"]
    headers = {"Authorization": "Basic " + base64.b64encode(f"x:{KEY}".encode()).decode()}
    statuses = []

    def worker(n):
        for i in range(10):
            body = json.dumps({"email_address": f"t{n}-{i}@shop.test", "status_if_new": "subscribed"}).encode()
            statuses.append(emu.handle("PUT", f"/3.0/lists/{list_id}/members/t{n}-{i}@shop.test", "", headers,
                                       body)[0])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 200
    snapshot = json.loads(json.dumps(emu.snapshot()))
    assert len(snapshot["lists"][list_id]["members"]) == 200
    assert snapshot["stats"]["writes"] == 200 and snapshot["stats"]["requests"] == 200
