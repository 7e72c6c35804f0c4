"""eCommerce promo rules and their promo codes (``/ecommerce/stores/{id}/promo-rules[/{rid}/promo-codes]``).

Neither has PUT: POST creates (400 "already exists" for a known id), PATCH updates. Deleting a
rule deletes its codes. (mailchimp3's ``promo_codes.all(get_all=False)`` reads a wrong path; we
never list codes.)
"""
from shuup_mailchimp.client.base import MailchimpClient
from shuup_mailchimp.client.ecommerce import store_path


def rule_path(store_id: str, *rest: str) -> str:
    return store_path(store_id, "promo-rules", *rest)


def create_rule(client: MailchimpClient, store_id: str, body: dict) -> dict:
    return client.post("promo_rules.create", rule_path(store_id), body)


def update_rule(client: MailchimpClient, store_id: str, rule_id: str, body: dict) -> dict:
    return client.patch("promo_rules.update", rule_path(store_id, rule_id), body)


def delete_rule(client: MailchimpClient, store_id: str, rule_id: str) -> None:
    client.delete("promo_rules.delete", rule_path(store_id, rule_id))


def create_code(client: MailchimpClient, store_id: str, rule_id: str, body: dict) -> dict:
    return client.post("promo_codes.create", rule_path(store_id, rule_id, "promo-codes"), body)


def update_code(client: MailchimpClient, store_id: str, rule_id: str, code_id: str, body: dict) -> dict:
    return client.patch("promo_codes.update", rule_path(store_id, rule_id, "promo-codes", code_id), body)


def delete_code(client: MailchimpClient, store_id: str, rule_id: str, code_id: str) -> None:
    client.delete("promo_codes.delete", rule_path(store_id, rule_id, "promo-codes", code_id))
