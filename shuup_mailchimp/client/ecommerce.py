"""eCommerce stores, customers, products and orders."""
from typing import Optional

from shuup_mailchimp.client.base import MailchimpClient
from shuup_mailchimp.exceptions import MailchimpNotFoundError


def store_path(store_id: str, *rest: str) -> str:
    return "/".join(("ecommerce/stores", store_id) + rest)


def get_store(client: MailchimpClient, store_id: str) -> Optional[dict]:
    try:
        return client.get("stores.get", store_path(store_id))
    except MailchimpNotFoundError:
        return None


def create_store(client: MailchimpClient, body: dict) -> dict:
    return client.post("stores.create", "ecommerce/stores", body)


def update_store(client: MailchimpClient, store_id: str, body: dict) -> dict:
    return client.patch("stores.update", store_path(store_id), body)


def upsert_customer(client: MailchimpClient, store_id: str, body: dict) -> dict:
    return client.put("customers.upsert", store_path(store_id, "customers", body["id"]), body)


def delete_customer(client: MailchimpClient, store_id: str, customer_id: str) -> None:
    client.delete("customers.delete", store_path(store_id, "customers", customer_id))


def upsert_product(client: MailchimpClient, store_id: str, body: dict) -> dict:
    # Mailchimp has PUT for products; mailchimp3's helpers lack it (mc-woocommerce uses PUT too).
    return client.put("products.upsert", store_path(store_id, "products", body["id"]), body)


def get_order(client: MailchimpClient, store_id: str, order_id: str) -> Optional[dict]:
    try:
        return client.get("orders.get", store_path(store_id, "orders", order_id))
    except MailchimpNotFoundError:
        return None


def create_order(client: MailchimpClient, store_id: str, body: dict) -> dict:
    return client.post("orders.create", store_path(store_id, "orders"), body)


def update_order(client: MailchimpClient, store_id: str, order_id: str, body: dict) -> dict:
    # Orders have no PUT; PATCH does not drop lines missing from the body (see delete_order_line).
    return client.patch("orders.update", store_path(store_id, "orders", order_id), body)


def delete_order_line(client: MailchimpClient, store_id: str, order_id: str, line_id: str) -> None:
    client.delete("orders.lines.delete", store_path(store_id, "orders", order_id, "lines", line_id))
