"""eCommerce carts (``/ecommerce/stores/{id}/carts``) and the abandoned-cart tag on the member.

Carts have no PUT: POST creates, PATCH updates (and, as for orders, keeps lines left out of the
body: stale ones are deleted one by one), DELETE removes the cart, which is what stops the
abandoned-cart automation for it.
"""
from shuup_mailchimp.client.base import MailchimpClient
from shuup_mailchimp.client.ecommerce import store_path
from shuup_mailchimp.client.members import member_path


def create_cart(client: MailchimpClient, store_id: str, body: dict) -> dict:
    return client.post("carts.create", store_path(store_id, "carts"), body)


def update_cart(client: MailchimpClient, store_id: str, cart_id: str, body: dict) -> dict:
    return client.patch("carts.update", store_path(store_id, "carts", cart_id), body)


def delete_cart(client: MailchimpClient, store_id: str, cart_id: str) -> None:
    client.delete("carts.delete", store_path(store_id, "carts", cart_id))


def delete_cart_line(client: MailchimpClient, store_id: str, cart_id: str, line_id: str) -> None:
    client.delete("carts.lines.delete", store_path(store_id, "carts", cart_id, "lines", line_id))


def set_member_tag(client: MailchimpClient, audience_id: str, email: str, name: str, active: bool) -> None:
    """Add (``active``) or remove a tag on the member; Mailchimp answers 204 and creates a new tag name."""
    body = {"tags": [{"name": name, "status": "active" if active else "inactive"}]}
    client.post("members.tags.update", member_path(audience_id, email) + "/tags", body)
