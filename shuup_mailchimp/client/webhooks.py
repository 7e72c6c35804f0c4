"""Audience (list) webhooks: Mailchimp POSTs subscribe / unsubscribe / profile / ... events to a URL."""
from shuup_mailchimp.client.base import MailchimpClient

#: The events we apply (campaign events are not needed); sources: the person and the Mailchimp
#: UI, never "api" (our own writes must not come back as events).
EVENTS = {"subscribe": True, "unsubscribe": True, "profile": True, "cleaned": True, "upemail": True,
          "campaign": False}
SOURCES = {"user": True, "admin": True, "api": False}


def list_webhooks(client: MailchimpClient, audience_id: str) -> list:
    return client.get("webhooks.all", "lists/%s/webhooks" % audience_id).get("webhooks", [])


def create_webhook(client: MailchimpClient, audience_id: str, url: str) -> dict:
    body = {"url": url, "events": EVENTS, "sources": SOURCES}
    return client.post("webhooks.create", "lists/%s/webhooks" % audience_id, body)


def delete_webhook(client: MailchimpClient, audience_id: str, webhook_id: str) -> None:
    client.delete("webhooks.delete", "lists/%s/webhooks/%s" % (audience_id, webhook_id))
