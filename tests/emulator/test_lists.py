"""Lists, interest categories, merge fields, static segments and list webhook CRUD."""
import pytest
import requests
from mailchimp3.mailchimpclient import MailChimpError

from .conftest import BASE, KEY, error_of

LIST_BODY = {
    "name": "New audience",
    "contact": {"company": "Shop", "address1": "1 St", "city": "Town", "state": "", "zip": "00100", "country": "FI"},
    "permission_reminder": "You bought from us",
    "campaign_defaults": {"from_name": "Shop", "from_email": "shop@shop.test", "subject": "", "language": "en"},
    "email_type_option": False,
}


def test_create_list_and_default_merge_fields(mc, emu):
    created = mc.lists.create(LIST_BODY)
    assert len(created["id"]) == 10 and created["name"] == "New audience"
    assert created["stats"]["member_count"] == 0
    fields = mc.lists.merge_fields.all(created["id"], get_all=True)["merge_fields"]
    assert {f["tag"]: f["type"] for f in fields} == {"FNAME": "text", "LNAME": "text", "ADDRESS": "address",
                                                     "PHONE": "phone", "BIRTHDAY": "birthday"}
    assert not any(f["required"] for f in fields)
    assert mc.lists.get(created["id"])["name"] == "New audience"
    assert mc.lists.all()["total_items"] == 1


def test_create_list_validates_required_fields(emu):
    # Raw request: mailchimp3 would refuse this client-side.
    body = dict(LIST_BODY, contact={"company": "Shop", "state": ""})
    response = requests.post(BASE + "/3.0/lists", auth=("x", KEY), json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["title"] == "Invalid Resource"
    assert {e["field"] for e in error["errors"]} == {"address1", "city", "zip", "country"}
    assert emu.lists == {}


def test_list_stats_and_email_filter(mc, list_id):
    mc.lists.members.create(list_id, {"email_address": "s@shop.test", "status": "subscribed"})
    mc.lists.members.create(list_id, {"email_address": "u@shop.test", "status": "unsubscribed"})
    stats = mc.lists.get(list_id)["stats"]
    assert (stats["member_count"], stats["unsubscribe_count"]) == (1, 1)
    assert mc.lists.all(email="s@shop.test")["total_items"] == 1
    assert mc.lists.all(email="x@shop.test")["total_items"] == 0


def test_interest_categories_and_interests_crud(mc, list_id):
    category = mc.lists.interest_categories.create(list_id, {"title": "Topics", "type": "checkboxes"})
    assert category["list_id"] == list_id
    interest = mc.lists.interest_categories.interests.create(list_id, category["id"], {"name": "Shoes"})
    assert interest["category_id"] == category["id"]
    mc.lists.members.create(list_id, {"email_address": "i@shop.test", "status": "subscribed",
                                      "interests": {interest["id"]: True}})
    fetched = mc.lists.interest_categories.interests.get(list_id, category["id"], interest["id"])
    assert fetched["subscriber_count"] == "1"
    mc.lists.interest_categories.interests.update(list_id, category["id"], interest["id"], {"name": "Boots"})
    all_interests = mc.lists.interest_categories.interests.all(list_id, category["id"])
    assert [i["name"] for i in all_interests["interests"]] == ["Boots"]
    assert mc.lists.interest_categories.all(list_id)["categories"][0]["title"] == "Topics"
    mc.lists.interest_categories.update(list_id, category["id"], {"title": "Themes", "type": "checkboxes"})
    assert mc.lists.interest_categories.get(list_id, category["id"])["title"] == "Themes"
    mc.lists.interest_categories.interests.delete(list_id, category["id"], interest["id"])
    assert mc.lists.members.get(list_id, "i@shop.test")["interests"] == {}
    mc.lists.interest_categories.delete(list_id, category["id"])
    with pytest.raises(MailChimpError) as excinfo:
        mc.lists.interest_categories.get(list_id, category["id"])
    assert error_of(excinfo)["status"] == 404


def test_merge_fields_crud(mc, list_id):
    field = mc.lists.merge_fields.create(list_id, {"name": "Company", "type": "text"})
    assert field["tag"] == "COMPANY" and isinstance(field["merge_id"], int)
    updated = mc.lists.merge_fields.update(list_id, field["merge_id"], {"name": "Firm", "required": True})
    assert updated["required"] is True and updated["name"] == "Firm"
    assert mc.lists.merge_fields.get(list_id, field["merge_id"])["name"] == "Firm"
    mc.lists.merge_fields.delete(list_id, field["merge_id"])
    tags = [f["tag"] for f in mc.lists.merge_fields.all(list_id, get_all=True)["merge_fields"]]
    assert "COMPANY" not in tags and len(tags) == 5


def test_static_segments(mc, list_id):
    for email in ("a@shop.test", "b@shop.test", "c@shop.test"):
        mc.lists.members.create(list_id, {"email_address": email, "status": "subscribed"})
    segment = mc.lists.segments.create(list_id, {"name": "Buyers",
                                                 "static_segment": ["a@shop.test", "b@shop.test", "zz@shop.test"]})
    assert segment["type"] == "static" and segment["member_count"] == 2
    result = mc.lists.segments.update_members(list_id, segment["id"], {
        "members_to_add": ["c@shop.test"], "members_to_remove": ["a@shop.test"]})
    assert result["total_added"] == 1 and result["total_removed"] == 1
    assert mc.lists.segments.get(list_id, segment["id"])["member_count"] == 2
    assert [t["name"] for t in mc.lists.members.get(list_id, "c@shop.test")["tags"]] == ["Buyers"]
    assert mc.lists.members.get(list_id, "a@shop.test")["tags"] == []
    assert mc.lists.segments.all(list_id)["total_items"] == 1
    members = mc.lists.segments.members.all(list_id, segment["id"])
    assert sorted(m["email_address"] for m in members["members"]) == ["b@shop.test", "c@shop.test"]
    mc.lists.segments.delete(list_id, segment["id"])
    assert mc.lists.members.get(list_id, "c@shop.test")["tags_count"] == 0
