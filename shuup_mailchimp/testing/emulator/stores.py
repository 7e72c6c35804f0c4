"""E-commerce stores, customers (and their list members), promo rules and promo codes.

A customer's email becomes a member of the store's list: ``subscribed`` when ``opt_in_status``
is true, else ``transactional``; an existing member's status is never overwritten, except that a
``transactional`` member is upgraded to ``subscribed`` once ``opt_in_status`` is true.
"""
import copy
import re
from typing import Any, Dict, Tuple

from . import webhooks
from .http import (
    already_exists, as_bool, bad_request, check_email, collection, deep_merge, get_or_404, invalid_resource, not_found, now_iso,
    public, require_fields, subscriber_hash,
)

STORE_CHILDREN = ("customers", "products", "orders", "carts", "promo_rules")
MAX_ID_LENGTH = 50


def get_store(emu: Any, store_id: str) -> Dict[str, Any]:
    """The stored store, or 404."""
    return get_or_404(emu.stores, store_id)


get_child = get_or_404  # an item of a store's sub-collection, or 404


def render_store(store: Dict[str, Any]) -> Dict[str, Any]:
    """The store resource without its sub-collections."""
    return public(store, STORE_CHILDREN)


def _check_domain(emu: Any, domain: Any, store_id: str) -> None:
    if not domain:
        return
    for other in emu.stores.values():
        if other["id"] != store_id and str(other.get("domain", "")).lower() == str(domain).lower():
            raise bad_request(f"We were unable to process the request. A store with the domain {domain} "
                              "already exists in the account.")


def all_stores(emu: Any, ctx: Any) -> Tuple[int, Any]:
    return 200, collection("stores", [render_store(s) for s in emu.stores.values()], ctx.query)


def create_store(emu: Any, ctx: Any) -> Tuple[int, Any]:
    body = ctx.json_body()
    require_fields(body, ("id", "list_id", "name", "currency_code"))
    if not re.match(r"^[A-Z]{3}$", str(body["currency_code"])):
        raise invalid_resource(errors=[{"field": "currency_code", "message": "Must be an ISO 4217 code."}])
    if body["list_id"] not in emu.lists:
        raise invalid_resource(errors=[{"field": "list_id", "message": "The list does not exist."}])
    if str(body["id"]) in emu.stores:
        raise already_exists("A store with the provided ID")
    _check_domain(emu, body.get("domain"), str(body["id"]))
    now = now_iso()
    store_id = str(body["id"])
    store = {"id": store_id, "list_id": body["list_id"], "name": body["name"], "platform": "", "domain": "",
             "is_syncing": False, "email_address": "", "currency_code": body["currency_code"],
             "money_format": "$", "primary_locale": "en", "timezone": "", "phone": "", "address": {},
             "list_is_active": True, "created_at": now, "updated_at": now,
             "connected_site": {"site_foreign_id": store_id, "site_script": {
                 "url": f"https://chimpstatic.test/mcjs-connected/js/users/{store_id}.js",
                 "fragment": f'<script id="mcjs">/* {store_id} */</script>'}},
             "automations": {name: {"is_supported": True, "id": "", "status": ""}
                             for name in ("abandoned_cart", "abandoned_browse")}}
    store.update({k: copy.deepcopy(v) for k, v in body.items() if k not in STORE_CHILDREN + ("id",)})
    store["is_syncing"] = as_bool(store["is_syncing"])
    store.update({name: {} for name in STORE_CHILDREN})
    emu.stores[store_id] = store
    return 200, render_store(store)


def get_one_store(emu: Any, ctx: Any, store_id: str) -> Tuple[int, Any]:
    return 200, render_store(get_store(emu, store_id))


def patch_store(emu: Any, ctx: Any, store_id: str) -> Tuple[int, Any]:
    store = get_store(emu, store_id)
    body = ctx.json_body()
    if "list_id" in body and body["list_id"] != store["list_id"]:
        raise bad_request("The list_id of a store cannot be changed once the store is created.")
    _check_domain(emu, body.get("domain"), store_id)
    changes = {k: v for k, v in body.items() if k not in STORE_CHILDREN + ("id", "list_id")}
    if "is_syncing" in changes:
        changes["is_syncing"] = as_bool(changes["is_syncing"])
    deep_merge(store, changes)
    store["updated_at"] = now_iso()
    return 200, render_store(store)


def delete_store(emu: Any, ctx: Any, store_id: str) -> Tuple[int, Any]:
    get_store(emu, store_id)
    del emu.stores[store_id]  # cascades: customers, products, orders, carts and promo rules live inside
    return 204, None


# --- customers ---------------------------------------------------------------------------------------

def _order_index(emu: Any, store: Dict[str, Any]) -> Tuple[Any, Dict[str, set], Dict[str, str]]:
    """({customer id: order ids}, {order id: customer id}) of the store's orders, kept by the order
    handlers (``index_order``) so a rollup is not a scan of every order (20,000 orders sent one by
    one would be 200 million steps). Rebuilt when the store's order dict is a new one (reset, load)."""
    cache = emu.__dict__.setdefault("_order_index", {})
    entry = cache.get(store["id"])
    if entry is None or entry[0] is not store["orders"]:
        by_customer: Dict[str, set] = {}
        placed: Dict[str, str] = {}
        for order_id, order in store["orders"].items():
            customer_id = order["customer"].get("id")
            by_customer.setdefault(customer_id, set()).add(order_id)
            placed[order_id] = customer_id
        entry = cache[store["id"]] = (store["orders"], by_customer, placed)
    return entry


def index_order(emu: Any, store: Dict[str, Any], order: Dict[str, Any], removed: bool = False) -> None:
    """Keep the rollup index in step with a created, changed (its customer) or deleted order."""
    _orders, by_customer, placed = _order_index(emu, store)
    old = placed.pop(order["id"], None)
    if old is not None:
        by_customer.get(old, set()).discard(order["id"])
    if not removed:
        customer_id = order["customer"].get("id")
        by_customer.setdefault(customer_id, set()).add(order["id"])
        placed[order["id"]] = customer_id


def render_customer(store: Dict[str, Any], customer: Dict[str, Any], emu: Any = None) -> Dict[str, Any]:
    """The customer with ``orders_count`` and ``total_spent`` rolled up from the store's orders."""
    result = copy.deepcopy(customer)
    if emu is None:
        orders = [o for o in store["orders"].values() if o["customer"].get("id") == customer["id"]]
    else:
        ids = _order_index(emu, store)[1].get(customer["id"], ())
        orders = [store["orders"][i] for i in sorted(ids) if i in store["orders"]
                  and store["orders"][i]["customer"].get("id") == customer["id"]]
    result["orders_count"] = len(orders)
    result["total_spent"] = round(sum(float(o.get("order_total") or 0) for o in orders), 2) or \
        customer.get("total_spent", 0)
    return result


def sync_member(emu: Any, ctx: Any, store: Dict[str, Any], customer: Dict[str, Any]) -> None:
    """Make the customer's email a list member, never overwriting an existing member's status."""
    from .members import _new_member
    lst = emu.lists.get(store["list_id"])
    email = customer.get("email_address")
    if lst is None or not email or subscriber_hash(email) in lst["forgotten_hashes"]:
        return
    opt_in = as_bool(customer.get("opt_in_status", False))
    member = lst["members"].get(subscriber_hash(email))
    if member is None:
        member = _new_member(lst, email, emu)
        member["status"] = "subscribed" if opt_in else "transactional"
        member["source"] = "E-Commerce"
        for tag, key in (("FNAME", "first_name"), ("LNAME", "last_name")):
            if tag in lst["merge_fields"] and customer.get(key):
                member["merge_fields"][tag] = customer[key]
        lst["members"][member["id"]] = member
    elif opt_in and member["status"] == "transactional":
        member.update({"status": "subscribed", "last_changed": now_iso()})
    else:
        return
    if member["status"] == "subscribed" and ctx is not None:
        webhooks.queue_member_event(emu, ctx.outbox, lst, member, "subscribe", "api")


def save_customer(emu: Any, ctx: Any, store: Dict[str, Any], customer_id: str, body: Dict[str, Any],
                  mode: str) -> Dict[str, Any]:
    """Create ("post"), upsert ("put") or update ("patch"/"order") a customer and sync its member."""
    customer_id = str(customer_id)
    if len(customer_id) > MAX_ID_LENGTH:
        raise invalid_resource(errors=[{"field": "id", "message": "The id must be 50 characters or fewer."}])
    existing = store["customers"].get(customer_id)
    if mode == "post" and existing is not None:
        raise already_exists("A customer with the provided ID")
    if mode == "patch" and existing is None:
        raise not_found()
    email = body.get("email_address")
    if existing is None:
        require_fields(dict(body, id=customer_id), ("id", "email_address", "opt_in_status"))
        check_email(email)
    elif email and str(email).lower() != existing["email_address"].lower():
        raise bad_request("An email address may not be changed once a customer is created.")
    now = now_iso()
    customer = copy.deepcopy(existing) if existing else {
        "id": customer_id, "email_address": email, "opt_in_status": False, "company": "", "first_name": "",
        "last_name": "", "orders_count": 0, "total_spent": 0, "address": {}, "created_at": now}
    deep_merge(customer, {k: v for k, v in body.items() if k not in ("id", "email_address", "orders_count")})
    customer["opt_in_status"] = as_bool(customer["opt_in_status"])
    customer["updated_at"] = now
    store["customers"][customer_id] = customer
    sync_member(emu, ctx, store, customer)
    return customer


def all_customers(emu: Any, ctx: Any, store_id: str) -> Tuple[int, Any]:
    store = get_store(emu, store_id)
    items = [render_customer(store, c, emu) for c in store["customers"].values()]
    if ctx.query.get("email_address"):
        items = [c for c in items if c["email_address"].lower() == ctx.query["email_address"].lower()]
    return 200, collection("customers", items, ctx.query, store_id=store_id)


def create_customer(emu: Any, ctx: Any, store_id: str) -> Tuple[int, Any]:
    store = get_store(emu, store_id)
    body = ctx.json_body()
    require_fields(body, ("id",))
    return 200, render_customer(store, save_customer(emu, ctx, store, body["id"], body, "post"), emu)


def get_customer(emu: Any, ctx: Any, store_id: str, customer_id: str) -> Tuple[int, Any]:
    store = get_store(emu, store_id)
    return 200, render_customer(store, get_child(store["customers"], customer_id), emu)


def put_customer(emu: Any, ctx: Any, store_id: str, customer_id: str) -> Tuple[int, Any]:
    store = get_store(emu, store_id)
    return 200, render_customer(store, save_customer(emu, ctx, store, customer_id, ctx.json_body(), "put"), emu)


def patch_customer(emu: Any, ctx: Any, store_id: str, customer_id: str) -> Tuple[int, Any]:
    store = get_store(emu, store_id)
    return 200, render_customer(store, save_customer(emu, ctx, store, customer_id, ctx.json_body(), "patch"),
                                emu)


def delete_customer(emu: Any, ctx: Any, store_id: str, customer_id: str) -> Tuple[int, Any]:
    store = get_store(emu, store_id)
    get_child(store["customers"], customer_id)
    del store["customers"][customer_id]
    return 204, None


# --- promo rules and promo codes -----------------------------------------------------------------------

def _validate_rule(body: Dict[str, Any]) -> None:
    if body.get("type") is not None and body["type"] not in ("fixed", "percentage"):
        raise invalid_resource(errors=[{"field": "type", "message": "Must be fixed or percentage."}])
    if body.get("target") is not None and body["target"] not in ("per_item", "total", "shipping"):
        raise invalid_resource(errors=[{"field": "target", "message": "Must be per_item, total or shipping."}])
    if body.get("type") == "percentage" and not 0 <= float(body.get("amount", 0)) <= 1:
        raise invalid_resource(errors=[{"field": "amount", "message": "A percentage amount is between 0 and 1."}])
    if len(str(body.get("description", ""))) > 255:
        raise invalid_resource(errors=[{"field": "description", "message": "At most 255 characters."}])


def all_rules(emu: Any, ctx: Any, store_id: str) -> Tuple[int, Any]:
    store = get_store(emu, store_id)
    items = [public(r, ("promo_codes",)) for r in store["promo_rules"].values()]
    return 200, collection("promo_rules", items, ctx.query, store_id=store_id)


def create_rule(emu: Any, ctx: Any, store_id: str) -> Tuple[int, Any]:
    store = get_store(emu, store_id)
    body = ctx.json_body()
    require_fields(body, ("id", "description", "amount", "type", "target"))
    _validate_rule(body)
    rule_id = str(body["id"])
    if len(rule_id) > MAX_ID_LENGTH:
        raise invalid_resource(errors=[{"field": "id", "message": "The id must be 50 characters or fewer."}])
    if rule_id in store["promo_rules"]:
        raise already_exists("A promo rule with the provided ID")
    now = now_iso()
    rule = {"id": rule_id, "title": "", "starts_at": "", "ends_at": "", "enabled": True,
            "created_at_foreign": now, "updated_at_foreign": now}
    rule.update({k: copy.deepcopy(v) for k, v in body.items() if k != "promo_codes"})
    rule["id"], rule["promo_codes"] = rule_id, {}
    store["promo_rules"][rule_id] = rule
    return 200, public(rule, ("promo_codes",))


def get_rule(emu: Any, ctx: Any, store_id: str, rule_id: str) -> Tuple[int, Any]:
    return 200, public(get_child(get_store(emu, store_id)["promo_rules"], rule_id), ("promo_codes",))


def patch_rule(emu: Any, ctx: Any, store_id: str, rule_id: str) -> Tuple[int, Any]:
    rule = get_child(get_store(emu, store_id)["promo_rules"], rule_id)
    body = ctx.json_body()
    _validate_rule(dict(rule, **body))
    deep_merge(rule, {k: v for k, v in body.items() if k not in ("id", "promo_codes")})
    return 200, public(rule, ("promo_codes",))


def delete_rule(emu: Any, ctx: Any, store_id: str, rule_id: str) -> Tuple[int, Any]:
    store = get_store(emu, store_id)
    get_child(store["promo_rules"], rule_id)
    del store["promo_rules"][rule_id]
    return 204, None


def all_codes(emu: Any, ctx: Any, store_id: str, rule_id: str) -> Tuple[int, Any]:
    rule = get_child(get_store(emu, store_id)["promo_rules"], rule_id)
    items = copy.deepcopy(list(rule["promo_codes"].values()))
    return 200, collection("promo_codes", items, ctx.query, store_id=store_id)


def create_code(emu: Any, ctx: Any, store_id: str, rule_id: str) -> Tuple[int, Any]:
    rule = get_child(get_store(emu, store_id)["promo_rules"], rule_id)
    body = ctx.json_body()
    require_fields(body, ("id", "code", "redemption_url"))
    if len(str(body["code"])) > MAX_ID_LENGTH:
        raise invalid_resource(errors=[{"field": "code", "message": "The code must be 50 characters or fewer."}])
    code_id = str(body["id"])
    if code_id in rule["promo_codes"]:
        raise already_exists("A promo code with the provided ID")
    _check_code_unique(rule, body["code"], code_id)
    now = now_iso()
    code = {"id": code_id, "usage_count": 0, "enabled": True, "created_at_foreign": now, "updated_at_foreign": now}
    code.update(copy.deepcopy(body))
    code["id"] = code_id
    rule["promo_codes"][code_id] = code
    return 200, copy.deepcopy(code)


def get_code(emu: Any, ctx: Any, store_id: str, rule_id: str, code_id: str) -> Tuple[int, Any]:
    rule = get_child(get_store(emu, store_id)["promo_rules"], rule_id)
    return 200, copy.deepcopy(get_child(rule["promo_codes"], code_id))


def _check_code_unique(rule: Dict[str, Any], code: Any, code_id: str) -> None:
    """A code is unique within its promo rule. Guess: the wording of the real 400 is not documented;
    codes are compared case-insensitively, as shops match what customers type."""
    for other in rule["promo_codes"].values():
        if other["id"] != code_id and str(other.get("code", "")).lower() == str(code).lower():
            raise bad_request(f"A promo code with the code {code} already exists for this promo rule.")


def patch_code(emu: Any, ctx: Any, store_id: str, rule_id: str, code_id: str) -> Tuple[int, Any]:
    rule = get_child(get_store(emu, store_id)["promo_rules"], rule_id)
    code = get_child(rule["promo_codes"], code_id)
    body = ctx.json_body()
    if "code" in body:
        if len(str(body["code"])) > MAX_ID_LENGTH:
            raise invalid_resource(errors=[{"field": "code", "message": "The code must be 50 characters or fewer."}])
        _check_code_unique(rule, body["code"], code_id)
    deep_merge(code, {k: v for k, v in body.items() if k != "id"})
    return 200, copy.deepcopy(code)


def delete_code(emu: Any, ctx: Any, store_id: str, rule_id: str, code_id: str) -> Tuple[int, Any]:
    rule = get_child(get_store(emu, store_id)["promo_rules"], rule_id)
    get_child(rule["promo_codes"], code_id)
    del rule["promo_codes"][code_id]
    return 204, None


_S = "ecommerce/stores/{store_id}"
_R = _S + "/promo-rules/{rule_id}"
ROUTES = [
    ("GET", "ecommerce/stores", all_stores), ("POST", "ecommerce/stores", create_store),
    ("GET", _S, get_one_store), ("PATCH", _S, patch_store), ("DELETE", _S, delete_store),
    ("GET", _S + "/customers", all_customers), ("POST", _S + "/customers", create_customer),
    ("GET", _S + "/customers/{customer_id}", get_customer), ("PUT", _S + "/customers/{customer_id}", put_customer),
    ("PATCH", _S + "/customers/{customer_id}", patch_customer),
    ("DELETE", _S + "/customers/{customer_id}", delete_customer),
    ("GET", _S + "/promo-rules", all_rules), ("POST", _S + "/promo-rules", create_rule),
    ("GET", _R, get_rule), ("PATCH", _R, patch_rule), ("DELETE", _R, delete_rule),
    ("GET", _R + "/promo-codes", all_codes), ("POST", _R + "/promo-codes", create_code),
    ("GET", _R + "/promo-codes/{code_id}", get_code), ("PATCH", _R + "/promo-codes/{code_id}", patch_code),
    ("DELETE", _R + "/promo-codes/{code_id}", delete_code),
]
