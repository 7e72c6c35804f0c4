"""The opt-in ``applied_drop`` fault: the write is applied, then the connection drops before the answer."""
import pytest
import requests

from shuup_mailchimp.testing import EmulatorServer, MailchimpEmulator, mock_mailchimp
from shuup_mailchimp.testing.emulator.cli import CliError, add_arguments, build
from shuup_mailchimp.testing.emulator.faults import FAULT_KINDS

from .conftest import BASE, KEY


def _store(emu):
    list_id = emu.create_list()["id"]
    with mock_mailchimp(BASE, emu):
        response = requests.post(BASE + "/3.0/ecommerce/stores", auth=("x", KEY), json={
            "id": "s1", "list_id": list_id, "name": "Shop", "currency_code": "EUR"})
    assert response.status_code == 200, response.text
    return list_id


def test_the_write_is_applied_and_the_answer_lost_then_a_retry_meets_it():
    emu = MailchimpEmulator()
    _store(emu)
    emu.fault_kinds = ["applied_drop"]
    emu.fault_rate = 1.0
    order = {"id": "o1", "customer": {"id": "c1", "email_address": "c1@mailbox.org", "opt_in_status": False},
             "currency_code": "EUR", "order_total": 10,
             "lines": [{"id": "l1", "product_id": "p1", "product_variant_id": "p1", "quantity": 1, "price": 10}]}
    with mock_mailchimp(BASE, emu):
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.post(BASE + "/3.0/ecommerce/stores/s1/products", auth=("x", KEY), json={
                "id": "p1", "title": "P", "variants": [{"id": "p1", "title": "P"}]})
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.post(BASE + "/3.0/ecommerce/stores/s1/orders", auth=("x", KEY), json=order)
        emu.fault_rate = 0.0
        again = requests.post(BASE + "/3.0/ecommerce/stores/s1/orders", auth=("x", KEY), json=order)
    assert again.status_code == 400 and "already exists" in again.json()["detail"]
    store = emu.snapshot()["stores"]["s1"]
    assert list(store["orders"]) == ["o1"] and list(store["products"]) == ["p1"]
    assert emu.faults.counts == {"applied_drop": 2} and emu.stats["faults"] == 2


def test_applied_drop_is_opt_in_and_counted_by_kind():
    emu = MailchimpEmulator(fault_rate=1.0, seed=3)
    assert emu.fault_kinds == FAULT_KINDS
    with mock_mailchimp(BASE, emu):
        for _ in range(40):
            try:
                requests.get(BASE + "/3.0/ping", auth=("x", KEY))
            except requests.exceptions.ConnectionError:
                pass
    assert set(emu.faults.counts) == set(FAULT_KINDS) and sum(emu.faults.counts.values()) == 40
    emu.reset()
    assert not emu.faults.counts
    with pytest.raises(ValueError):
        emu.fault_kinds = ["teapot"]


def test_over_http_the_socket_closes_after_the_write_and_config_and_cli_set_the_kinds():
    emu = MailchimpEmulator()
    list_id = emu.create_list()["id"]
    server = EmulatorServer(emu).start()
    try:
        config = requests.post(server.url + "/_emulator/config", json={
            "fault_rate": 1.0, "fault_kinds": ["applied_drop"]}).json()
        assert config["fault_kinds"] == ["applied_drop"]
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.put(server.url + "/3.0/lists/%s/members/a@mailbox.org" % list_id, auth=("x", KEY), timeout=5,
                         json={"email_address": "a@mailbox.org", "status_if_new": "subscribed"})
        assert len(emu.snapshot()["lists"][list_id]["members"]) == 1
        refused = requests.post(server.url + "/_emulator/config", json={"fault_kinds": ["nope"]})
        assert refused.status_code == 400
    finally:
        server.stop()
    assert build(_options("--fault-rate", "0.2", "--fault-kinds", "500,applied_drop")).fault_kinds == (
        "500", "applied_drop")
    with pytest.raises(CliError):
        build(_options("--fault-kinds", "418"))


def _options(*argv):
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return vars(parser.parse_args(list(argv)))
