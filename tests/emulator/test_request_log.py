"""The emulator's request log over real HTTP: what a reliability scenario counts from it."""
import threading

import pytest
import requests

from shuup_mailchimp.testing import EmulatorServer, MailchimpEmulator
from shuup_mailchimp.testing.emulator.request_log import peak_concurrency, resource_of, summarize

from .conftest import KEY, make_client

pytestmark = pytest.mark.emulator_server


def test_resource_and_id_of_paths():
    assert resource_of("PUT", "/3.0/lists/L1/members/abc") == ("lists/members", "abc")
    assert resource_of("POST", "/3.0/ecommerce/stores/s1/orders", "1234") == ("stores/orders", "1234")
    assert resource_of("PATCH", "/3.0/ecommerce/stores/s1/orders/77") == ("stores/orders", "77")
    assert resource_of("POST", "/3.0/lists/L1/members/abc/tags") == ("lists/members/tags", "abc")
    assert resource_of("GET", "/3.0/ping") == ("ping", "")


def test_peak_is_the_largest_overlap():
    spans = [(0, 10), (1, 2), (2, 3), (2.5, 4), (10, 11)]
    assert peak_concurrency([{"start": s, "end": e} for s, e in spans]) == 3  # 10 -> 10 does not overlap
    assert peak_concurrency([]) == 0


def test_requests_are_logged_with_status_key_and_times():
    server = EmulatorServer(MailchimpEmulator(latency=0.3)).start()
    try:
        client = make_client(server.url)
        list_id = server.emulator.create_list("Log")["id"]
        member = {"email_address": "log@mailbox.org", "status_if_new": "subscribed"}
        client.lists.members.create_or_update(list_id, "log@mailbox.org", member)
        client.lists.members.create_or_update(list_id, "log@mailbox.org", member)  # the same write again
        statuses = []

        def ping():
            statuses.append(requests.get(server.url + "/3.0/ping", auth=("x", KEY), timeout=10).status_code)

        threads = [threading.Thread(target=ping) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        answer = requests.get(server.url + "/_emulator/requests", timeout=10).json()
        entries, summary = answer["requests"], answer["summary"]
        assert len(entries) == 14 and answer["next"] == entries[-1]["seq"]
        put = entries[0]
        assert put["method"] == "PUT" and put["resource"] == "lists/members" and put["status"] == 200
        assert put["key"] == KEY[-4:] and KEY not in str(answer) and "log@mailbox.org" not in str(answer)
        assert put["end"] - put["start"] >= 0.3
        assert summary["repeated_writes"] == 1 and summary["rate_limited"] == 2 == statuses.count(429)
        assert summary["peak_admitted"] == {KEY[-4:]: 10} and summary["peak_concurrency"][KEY[-4:]] >= 10
        assert summary["by_resource"]["GET ping"] == 12
        assert summarize(entries)["requests"] == 14

        later = requests.get(server.url + "/_emulator/requests", params={"since": answer["next"]}).json()
        assert later["requests"] == [] and later["next"] == answer["next"]
        only = requests.get(server.url + "/_emulator/requests", params={"summary": "1"}).json()
        assert "requests" not in only and only["summary"]["requests"] == 14
        requests.get(server.url + "/_emulator/state")  # control routes are not API requests
        assert requests.post(server.url + "/_emulator/requests/reset").json() == {"reset": True}
        assert requests.get(server.url + "/_emulator/requests").json()["requests"] == []
    finally:
        server.stop()
