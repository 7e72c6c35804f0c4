"""The foundation's promise, as a user would check it: ``python manage.py mailchimp_emulator --port N``
serves, and mailchimp3 pointed at it (``client.base_url``) can ping, create a list, upsert members,
create a store, customers, products and orders, run a batch and read its archive."""
import io
import json
import os
import subprocess
import sys
import tarfile
import time

import pytest
import requests

from .conftest import make_client, wait_finished

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def served_by_manage_py():
    proc = subprocess.Popen([sys.executable, "manage.py", "mailchimp_emulator", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline, lines = time.monotonic() + 60, []
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:  # it exited: EOF forever after
                break
            lines.append(line)
            if line.startswith("ready"):
                yield line.strip().split("url=", 1)[1]
                break
        else:
            raise AssertionError("manage.py mailchimp_emulator never got ready:\n%s" % "".join(lines[-60:]))
        if not lines or not lines[-1].startswith("ready"):
            raise AssertionError("manage.py mailchimp_emulator exited:\n%s" % "".join(lines[-60:]))
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


@pytest.mark.emulator_server
def test_mailchimp3_does_everything_against_manage_py_emulator(served_by_manage_py):
    mc = make_client(served_by_manage_py)
    assert mc.ping.get()["health_status"] == "Everything's Chimpy!"
    audience = mc.lists.create({
        "name": "E2E audience", "permission_reminder": "You bought from us.", "email_type_option": False,
        "contact": {"company": "Shop", "address1": "Street 1", "city": "Helsinki", "state": "", "zip": "00100",
                    "country": "FI"},
        "campaign_defaults": {"from_name": "Shop", "from_email": "shop@mailbox.org", "subject": "", "language": "en"},
    })
    member = mc.lists.members.create_or_update(audience["id"], "ann@mailbox.org", {
        "email_address": "ann@mailbox.org", "status_if_new": "subscribed"})
    assert member["status"] == "subscribed"
    mc.stores.create({"id": "e2e-store", "list_id": audience["id"], "name": "E2E", "currency_code": "EUR"})
    mc.stores.customers.create_or_update("e2e-store", "c1", {
        "id": "c1", "email_address": "ann@mailbox.org", "opt_in_status": True})
    mc.stores.products.create("e2e-store", {
        "id": "p1", "title": "Mug", "variants": [{"id": "p1", "title": "Mug", "price": 9.5}]})
    order = mc.stores.orders.create("e2e-store", {
        "id": "o1", "customer": {"id": "c1"}, "currency_code": "EUR", "order_total": 9.5,
        "lines": [{"id": "l1", "product_id": "p1", "product_variant_id": "p1", "quantity": 1, "price": 9.5}]})
    assert order["order_total"] == 9.5
    batch = mc.batches.create({"operations": [
        {"method": "PUT", "path": "lists/%s/members/%s" % (audience["id"], "b@mailbox.org"), "operation_id": "m-b",
         "body": json.dumps({"email_address": "b@mailbox.org", "status_if_new": "transactional"})},
        {"method": "GET", "path": "ecommerce/stores/e2e-store/orders/o1", "operation_id": "o-1"},
        {"method": "POST", "path": "ecommerce/stores/e2e-store/products", "operation_id": "dup",
         "body": json.dumps({"id": "p1", "title": "Mug", "variants": [{"id": "p1", "title": "Mug"}]})},
    ]})
    done = wait_finished(mc, batch["id"])
    assert done["status"] == "finished" and done["total_operations"] == 3 and done["errored_operations"] == 1
    archive = requests.get(done["response_body_url"], timeout=10)  # no API auth, as on Mailchimp
    results = []
    with tarfile.open(fileobj=io.BytesIO(archive.content), mode="r:gz") as tar:
        for info in tar.getmembers():
            if info.isfile() and info.name.endswith(".json"):
                results += json.loads(tar.extractfile(info).read())
    by_id = {r["operation_id"]: r for r in results}
    assert by_id["m-b"]["status_code"] == 200 and json.loads(by_id["m-b"]["response"])["status"] == "transactional"
    assert by_id["o-1"]["status_code"] == 200 and json.loads(by_id["o-1"]["response"])["id"] == "o1"
    assert by_id["dup"]["status_code"] == 400 and "already exists" in json.loads(by_id["dup"]["response"])["detail"]
