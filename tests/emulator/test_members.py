"""List members through mailchimp3: identity, upsert, lifecycle, validation, tags, queries."""
import hashlib

import pytest
import requests
from mailchimp3.helpers import get_subscriber_hash
from mailchimp3.mailchimpclient import MailChimpError

from .conftest import BASE, KEY, error_of


def _add(mc, list_id, email, status="subscribed", **extra):
    return mc.lists.members.create(list_id, dict({"email_address": email, "status": status}, **extra))


def test_member_resource_shape(mc, list_id):
    member = _add(mc, list_id, "Ann@Shop.test", merge_fields={"FNAME": "Ann"})
    assert member["id"] == hashlib.md5(b"ann@shop.test").hexdigest()
    assert member["email_address"] == "Ann@Shop.test"
    assert member["status"] == "subscribed"
    assert member["merge_fields"]["FNAME"] == "Ann"
    assert member["list_id"] == list_id
    assert member["stats"]["ecommerce_data"] == {"total_revenue": 0, "number_of_orders": 0, "currency_code": ""}
    assert member["tags"] == [] and member["tags_count"] == 0
    for key in ("unique_email_id", "timestamp_opt", "last_changed"):
        assert member[key]


def test_post_existing_member_is_400_member_exists(mc, list_id):
    _add(mc, list_id, "dup@shop.test")
    with pytest.raises(MailChimpError) as excinfo:
        _add(mc, list_id, "DUP@shop.test")
    error = error_of(excinfo)
    assert error["status"] == 400 and error["title"] == "Member Exists"
    assert "Use PUT to insert or update list members." in error["detail"]


def test_put_upserts_by_hash_and_by_raw_email(mc, emu, list_id):
    h = get_subscriber_hash("bob@shop.test")
    created = mc.lists.members.create_or_update(list_id, h, {"email_address": "bob@shop.test",
                                                             "status_if_new": "pending"})
    assert created["status"] == "pending"
    # status_if_new is ignored for an existing member; status changes it.
    updated = mc.lists.members.create_or_update(list_id, h, {"email_address": "bob@shop.test",
                                                             "status_if_new": "unsubscribed", "status": "subscribed"})
    assert updated["status"] == "subscribed"
    raw = requests.put(BASE + f"/3.0/lists/{list_id}/members/bob@shop.test", auth=("x", KEY),
                       json={"email_address": "bob@shop.test", "merge_fields": {"LNAME": "B"}})
    assert raw.status_code == 200 and raw.json()["merge_fields"]["LNAME"] == "B"
    assert list(emu.snapshot()["lists"][list_id]["members"]) == [h]


def test_put_new_address_without_status_if_new_is_400(emu, list_id):
    # mailchimp3 refuses this client-side, so go raw.
    response = requests.put(BASE + f"/3.0/lists/{list_id}/members/{get_subscriber_hash('n@shop.test')}",
                            auth=("x", KEY), json={"email_address": "n@shop.test"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "status_if_new"
    assert emu.snapshot()["lists"][list_id]["members"] == {}


def test_patch_unknown_member_is_404_and_patch_updates(mc, list_id):
    with pytest.raises(MailChimpError) as excinfo:
        mc.lists.members.update(list_id, "ghost@shop.test", {"merge_fields": {"FNAME": "G"}})
    assert error_of(excinfo)["status"] == 404
    _add(mc, list_id, "p@shop.test")
    patched = mc.lists.members.update(list_id, "p@shop.test", {"merge_fields": {"FNAME": "Pat"}, "vip": True})
    assert patched["merge_fields"]["FNAME"] == "Pat" and patched["vip"] is True


def test_delete_archives_and_put_restores(mc, list_id):
    _add(mc, list_id, "arch@shop.test")
    assert mc.lists.members.delete(list_id, "arch@shop.test") is None  # 204
    assert mc.lists.members.get(list_id, "arch@shop.test")["status"] == "archived"
    restored = mc.lists.members.create_or_update(list_id, "arch@shop.test", {
        "email_address": "arch@shop.test", "status_if_new": "subscribed"})
    assert restored["status"] == "subscribed"


def test_delete_permanent_then_add_is_forgotten(mc, emu, list_id):
    _add(mc, list_id, "gone@shop.test")
    assert mc.lists.members.delete_permanent(list_id, "gone@shop.test") is None
    with pytest.raises(MailChimpError) as excinfo:
        mc.lists.members.get(list_id, "gone@shop.test")
    assert error_of(excinfo)["status"] == 404
    with pytest.raises(MailChimpError) as excinfo:
        mc.lists.members.create_or_update(list_id, "gone@shop.test", {
            "email_address": "gone@shop.test", "status_if_new": "subscribed"})
    assert error_of(excinfo)["title"] == "Forgotten Email Not Subscribed"
    with pytest.raises(MailChimpError) as excinfo:
        _add(mc, list_id, "gone@shop.test")
    assert error_of(excinfo)["title"] == "Forgotten Email Not Subscribed"


# Member In Compliance State (who unsubscribed matters, pending is allowed): test_consent_rules.py.


@pytest.mark.parametrize("email", ["no-at-sign", "a@b", "x@example.com", "y@Example.org", "z@example.net",
                                   "q@test.com", "sp ace@shop.test"])
def test_fake_or_invalid_email_is_400_invalid_resource(emu, list_id, email):
    # Raw requests: mailchimp3 already refuses some of these client-side.
    response = requests.post(BASE + f"/3.0/lists/{list_id}/members", auth=("x", KEY),
                             json={"email_address": email, "status": "subscribed"})
    assert response.status_code == 400
    error = response.json()
    assert error["title"] == "Invalid Resource"
    assert error["detail"] == f"{email} looks fake or invalid, please enter a real email address."
    assert emu.snapshot()["lists"][list_id]["members"] == {}


def test_required_merge_field_missing_is_400_with_errors(mc, emu, list_id):
    mc.lists.merge_fields.create(list_id, {"name": "Shoe size", "type": "number", "tag": "SHOE", "required": True})
    with pytest.raises(MailChimpError) as excinfo:
        _add(mc, list_id, "m@shop.test", merge_fields={"FNAME": "M"})
    error = error_of(excinfo)
    assert error["title"] == "Invalid Resource"
    assert error["detail"] == "Your merge fields were invalid."
    assert error["errors"] == [{"field": "SHOE", "message": "Please enter a value"}]
    assert _add(mc, list_id, "m@shop.test", merge_fields={"SHOE": 42})["merge_fields"]["SHOE"] == 42


def test_interests_default_false_and_unknown_id_is_400(mc, list_id):
    category = mc.lists.interest_categories.create(list_id, {"title": "Topics", "type": "checkboxes"})
    shoes = mc.lists.interest_categories.interests.create(list_id, category["id"], {"name": "Shoes"})
    hats = mc.lists.interest_categories.interests.create(list_id, category["id"], {"name": "Hats"})
    member = _add(mc, list_id, "i@shop.test", interests={shoes["id"]: True})
    assert member["interests"] == {shoes["id"]: True, hats["id"]: False}
    with pytest.raises(MailChimpError) as excinfo:
        mc.lists.members.update(list_id, "i@shop.test", {"interests": {"deadbeef00": True}})
    assert error_of(excinfo)["title"] == "Invalid Resource"
    assert mc.lists.members.get(list_id, "i@shop.test")["interests"][shoes["id"]] is True


def test_tags_post_is_204_and_creates_tags(mc, list_id):
    _add(mc, list_id, "t@shop.test")
    result = mc.lists.members.tags.update(list_id, get_subscriber_hash("t@shop.test"), {
        "tags": [{"name": "VIP", "status": "active"}, {"name": "Newsletter", "status": "active"}], "is_syncing": True})
    assert result is None
    member = mc.lists.members.get(list_id, "t@shop.test")
    assert sorted(t["name"] for t in member["tags"]) == ["Newsletter", "VIP"] and member["tags_count"] == 2
    mc.lists.members.tags.update(list_id, get_subscriber_hash("t@shop.test"),
                                 {"tags": [{"name": "VIP", "status": "inactive"}]})
    tags = mc.lists.members.tags.all(list_id, get_subscriber_hash("t@shop.test"))
    assert [t["name"] for t in tags["tags"]] == ["Newsletter"] and tags["total_items"] == 1
    segments = mc.lists.segments.all(list_id, type="static")["segments"]
    assert {s["name"] for s in segments} == {"VIP", "Newsletter"}


def test_list_members_filters_pagination_and_fields(mc, list_id):
    for i in range(13):
        _add(mc, list_id, f"u{i:02d}@shop.test", status="subscribed" if i % 3 else "unsubscribed")
    page = mc.lists.members.all(list_id)
    assert len(page["members"]) == 10 and page["total_items"] == 13
    second = mc.lists.members.all(list_id, count=10, offset=10)
    assert len(second["members"]) == 3
    unsub = mc.lists.members.all(list_id, status="unsubscribed")
    assert unsub["total_items"] == 5
    everything = mc.lists.members.all(list_id, get_all=True)
    assert len(everything["members"]) == 13
    slim = mc.lists.members.all(list_id, fields="members.email_address,total_items", count=2)
    assert slim == {"members": [{"email_address": "u00@shop.test"}, {"email_address": "u01@shop.test"}],
                    "total_items": 13}
    no_stats = mc.lists.members.get(list_id, "u01@shop.test", exclude_fields="stats,merge_fields.FNAME")
    assert "stats" not in no_stats and "FNAME" not in no_stats["merge_fields"] and "LNAME" in no_stats["merge_fields"]


def test_true_false_query_booleans(mc, list_id):
    _add(mc, list_id, "vip@shop.test", vip=True)
    _add(mc, list_id, "plain@shop.test")
    assert [m["email_address"] for m in mc.lists.members.all(list_id, vip_only=True)["members"]] == ["vip@shop.test"]
    assert mc.lists.members.all(list_id, vip_only=False)["total_items"] == 2


def test_count_is_capped_at_1000(emu, list_id):
    lst = emu.lists[list_id]
    from shuup_mailchimp.testing.emulator.members import _new_member
    for i in range(1005):
        member = _new_member(lst, f"bulk{i}@shop.test", emu)
        lst["members"][member["id"]] = member
    response = requests.get(BASE + f"/3.0/lists/{list_id}/members?count=5000&fields=total_items,members.id",
                            auth=("x", KEY))
    assert len(response.json()["members"]) == 1000 and response.json()["total_items"] == 1005


def test_email_change_by_patch(mc, list_id):
    _add(mc, list_id, "old@shop.test")
    changed = mc.lists.members.update(list_id, "old@shop.test", {"email_address": "new@shop.test"})
    assert changed["id"] == get_subscriber_hash("new@shop.test")
    with pytest.raises(MailChimpError):
        mc.lists.members.get(list_id, "old@shop.test")
