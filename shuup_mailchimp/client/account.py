"""Account-level calls: ping, account info, audiences."""
from shuup_mailchimp.client.base import MailchimpClient


def ping(client: MailchimpClient) -> dict:
    return client.get("ping", "ping")


def get_account(client: MailchimpClient) -> dict:
    return client.get("account.get", "", fields="account_id,account_name,email,username")


def get_audience(client: MailchimpClient, audience_id: str) -> dict:
    return client.get("lists.get", "lists/%s" % audience_id, fields="id,name,stats.member_count")


def list_audiences(client: MailchimpClient) -> list:
    return client.get("lists.all", "lists", fields="lists.id,lists.name,total_items", count=1000).get("lists", [])
