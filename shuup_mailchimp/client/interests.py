"""Interest categories and interests of an audience (ContactGroups become interests)."""
from typing import Optional

from shuup_mailchimp.client.base import MailchimpClient


def list_categories(client: MailchimpClient, audience_id: str) -> list:
    data = client.get("interest_categories.all", "lists/%s/interest-categories" % audience_id, count=1000)
    return data.get("categories", [])


def find_category(client: MailchimpClient, audience_id: str, title: str) -> Optional[dict]:
    for category in list_categories(client, audience_id):
        if category.get("title") == title:
            return category
    return None


def create_category(client: MailchimpClient, audience_id: str, title: str, type_: str = "hidden") -> dict:
    body = {"title": title, "type": type_}
    return client.post("interest_categories.create", "lists/%s/interest-categories" % audience_id, body)


def list_interests(client: MailchimpClient, audience_id: str, category_id: str) -> list:
    path = "lists/%s/interest-categories/%s/interests" % (audience_id, category_id)
    return client.get("interests.all", path, count=1000).get("interests", [])


def create_interest(client: MailchimpClient, audience_id: str, category_id: str, name: str) -> dict:
    path = "lists/%s/interest-categories/%s/interests" % (audience_id, category_id)
    return client.post("interests.create", path, {"name": name})


def rename_interest(client: MailchimpClient, audience_id: str, category_id: str, interest_id: str, name: str) -> dict:
    path = "lists/%s/interest-categories/%s/interests/%s" % (audience_id, category_id, interest_id)
    return client.patch("interests.update", path, {"name": name})


def delete_interest(client: MailchimpClient, audience_id: str, category_id: str, interest_id: str) -> None:
    path = "lists/%s/interest-categories/%s/interests/%s" % (audience_id, category_id, interest_id)
    client.delete("interests.delete", path)
