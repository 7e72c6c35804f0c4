"""Auth, problem-details errors, 404/405, ping and the account root."""
import uuid

import pytest
import requests
from mailchimp3.mailchimpclient import MailChimpError

from shuup_mailchimp.testing import MailchimpEmulator, mock_mailchimp

from .conftest import BASE, KEY, error_of, make_client


def test_ping_and_account_root(mc, list_id, emu):
    assert mc.ping.get() == {"health_status": "Everything's Chimpy!"}
    mc.lists.members.create(list_id, {"email_address": "a@shop.test", "status": "subscribed"})
    root = mc.root.get()
    assert root["total_subscribers"] == 1
    assert root["role"] == "owner"


def test_missing_key_is_401_api_key_missing(emu):
    response = requests.get(BASE + "/3.0/ping")
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["title"] == "API Key Missing"


@pytest.mark.parametrize("key", ["not-a-key", "0123456789abcdef0123456789abcdeg-us1", "0" * 32])
def test_malformed_key_is_401_api_key_invalid(emu, key):
    response = requests.get(BASE + "/3.0/ping", auth=("anyone", key))
    assert response.status_code == 401
    assert response.json()["title"] == "API Key Invalid"


def test_valid_keys_and_datacenter_restrict_access():
    good = "f" * 32 + "-us6"
    with mock_mailchimp(BASE, MailchimpEmulator(valid_keys=[good], datacenter="us6")):
        assert requests.get(BASE + "/3.0/ping", auth=("x", good)).status_code == 200
        assert requests.get(BASE + "/3.0/ping", auth=("x", KEY)).status_code == 401
    with mock_mailchimp(BASE, MailchimpEmulator(datacenter="us6")):
        wrong_dc = requests.get(BASE + "/3.0/ping", auth=("x", "a" * 32 + "-us1"))
        assert wrong_dc.status_code == 401 and wrong_dc.json()["title"] == "API Key Invalid"
        assert requests.get(BASE + "/3.0/ping", auth=("x", "a" * 32 + "-us6")).status_code == 200


def test_problem_document_shape(mc, emu):
    with pytest.raises(MailChimpError) as excinfo:
        mc.lists.get("nosuchlist")
    error = error_of(excinfo)
    assert error["status"] == 404
    assert error["title"] == "Resource Not Found"
    assert error["detail"] == "The requested resource could not be found."
    assert error["type"].startswith("https://mailchimp.com/developer/")
    uuid.UUID(error["instance"])
    assert error["response"].headers["X-Request-Id"]


def test_unknown_nested_ids_are_404_and_wrong_verb_is_405(mc, emu, list_id):
    with pytest.raises(MailChimpError) as excinfo:
        mc.lists.members.get(list_id, "nobody@shop.test")
    assert error_of(excinfo)["status"] == 404
    with pytest.raises(MailChimpError) as excinfo:
        mc.stores.customers.get("nostore", "c1")
    assert error_of(excinfo)["status"] == 404
    response = requests.put(BASE + "/3.0/ping", auth=("x", KEY), json={})
    assert response.status_code == 405
    assert response.json()["title"] == "Method Not Allowed"
    assert requests.get(BASE + "/3.0/no/such/thing", auth=("x", KEY)).status_code == 404


def test_invalid_json_body_is_400(emu, list_id):
    response = requests.post(BASE + f"/3.0/lists/{list_id}/members", auth=("x", KEY), data=b"{nope",
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["title"] == "JSON Parse Error"


def test_oauth_header_is_accepted(emu):
    response = requests.get(BASE + "/3.0/ping", headers={"Authorization": "OAuth " + KEY})
    assert response.status_code == 200


def test_stats_count_requests_and_writes(mc, emu, list_id):
    mc.ping.get()
    mc.lists.members.create(list_id, {"email_address": "w@shop.test", "status": "subscribed"})
    with pytest.raises(MailChimpError):
        mc.lists.members.create(list_id, {"email_address": "w@shop.test", "status": "subscribed"})
    assert emu.stats["requests"] == 3
    assert emu.stats["writes"] == 1
    assert make_client(BASE).ping.get()["health_status"]
