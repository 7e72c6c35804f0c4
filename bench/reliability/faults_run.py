"""A few thousand shop changes against the emulator at fault rate 0.2 (429 / 500 / 503 / dropped
connections on 20% of calls), inline dispatch (synchronous after commit), retries made due at once
to compress time.

Checks at the end: every outbox item is synced or failed with a reason; for every synced item
Mailchimp's state equals Shuup's. Then the failed items are resent (as a shop owner would) and
the whole state must match. Prints the figures; exit code 1 if a check fails.
"""
import os
import random
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _setup import enabled_shop, setup_django, start_emulator  # noqa: E402

CONTACTS, EDITS, GROUP_CHANGES, ORDERS = 300, 2000, 500, 150


def main(fault_rate=0.2, seed=7):
    setup_django()
    from django.conf import settings
    from shuup.core.models import ContactGroup, Order, PersonContact
    from shuup.testing import factories

    from shuup_mailchimp.enums import SyncStatus
    from shuup_mailchimp.models import MailchimpSyncItem
    from shuup_mailchimp.sync import outbox
    from shuup_mailchimp.sync.processing import process_due

    rng = random.Random(seed)
    random.seed(seed)
    emulator, server = start_emulator(seed=seed)
    shop, shop_settings = enabled_shop(emulator)
    settings.SHUUP_MAILCHIMP_DISPATCH = "inline"
    settings.SHUUP_MAILCHIMP_RETRY_BASE_DELAY = 0.001
    settings.SHUUP_MAILCHIMP_RETRY_MAX_DELAY = 0.002
    settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS = int(os.environ.get("MAX_ATTEMPTS", "6"))
    groups = [ContactGroup.objects.create(shop=shop, name="Group %d" % n, identifier="rel-%d" % n) for n in range(5)]
    from shuup.core.models import Supplier

    supplier = Supplier.objects.create(identifier="rel", name="Reliability supplier")  # no stock module: faster
    supplier.shops.add(shop)
    products = [factories.create_product("rel-%d" % n, shop=shop, supplier=supplier, default_price=10 + n)
                for n in range(8)]

    emulator.fault_rate = fault_rate
    started = time.monotonic()
    changes = 0
    contacts = []
    for n in range(CONTACTS):
        contact = PersonContact.objects.create(first_name="F%d" % n, last_name="L%d" % n,
                                               email="person%d@mailbox.org" % n,
                                               marketing_permission=rng.random() < 0.6)
        contact.add_to_shop(shop)
        contacts.append(contact)
        changes += 1
    for n in range(EDITS):
        contact = rng.choice(contacts)
        if rng.random() < 0.3:
            contact.marketing_permission = not contact.marketing_permission
        else:
            contact.last_name = "L%d-%d" % (contact.pk, n)
        contact.save()
        changes += 1
    for _ in range(GROUP_CHANGES):
        group, contact = rng.choice(groups), rng.choice(contacts)
        (group.members.remove if group.members.filter(pk=contact.pk).exists() else group.members.add)(contact)
        changes += 1
    for _ in range(ORDERS):
        order = factories.create_random_order(customer=rng.choice(contacts), products=rng.sample(products, 2),
                                              shop=shop, random_products=False)
        if rng.random() < 0.5:
            order.create_payment(order.taxful_total_price)
        changes += 1
    passes = 0
    while outbox.due_items().exists() and passes < 50:
        time.sleep(0.01)
        process_due()
        passes += 1
    elapsed = time.monotonic() - started

    statuses = Counter(MailchimpSyncItem.objects.values_list("status", flat=True))
    unexplained = MailchimpSyncItem.objects.filter(status=SyncStatus.FAILED, last_error_title="").count()
    stuck = MailchimpSyncItem.objects.exclude(status__in=[SyncStatus.SYNCED, SyncStatus.FAILED]).count()
    reasons = Counter(MailchimpSyncItem.objects.filter(status=SyncStatus.FAILED).values_list("note", flat=True))
    mismatches = compare(emulator, shop_settings, only_synced=True)
    print("max attempts %d" % settings.SHUUP_MAILCHIMP_MAX_ATTEMPTS)
    print("fault rate %.2f, seed %d: %d changes in %.0f s, %d API requests, %d faults injected" % (
        fault_rate, seed, changes, elapsed, emulator.stats["requests"], emulator.stats["faults"]))
    print("items: %s; failed without a reason: %d; neither synced nor failed: %d" % (
        {str(k.value if hasattr(k, "value") else k): v for k, v in statuses.items()}, unexplained, stuck))
    print("failure reasons: %s" % dict(reasons))
    print("mismatches among synced items: %d %s" % (len(mismatches), mismatches[:5]))

    emulator.fault_rate = 0.0
    resent = outbox.requeue_failed()
    process_due()
    final = compare(emulator, shop_settings, only_synced=False)
    left = MailchimpSyncItem.objects.exclude(status=SyncStatus.SYNCED).count()
    print("after resending %d failed items without faults: %d not synced, %d mismatches %s" % (
        resent, left, len(final), final[:5]))
    ok = not unexplained and not stuck and not mismatches and not final and not left
    print("RELIABILITY %s" % ("OK" if ok else "FAILED"))
    server.stop()
    return 0 if ok else 1


def compare(emulator, shop_settings, only_synced):
    """Differences between Shuup and the emulator, for contacts and orders."""
    import hashlib

    from shuup.core.models import Order, PersonContact

    from shuup_mailchimp.enums import SyncKind, SyncStatus
    from shuup_mailchimp.models import MailchimpSyncItem
    from shuup_mailchimp.sync.interests import group_name, known_interest_ids

    state = emulator.snapshot()
    members = state["lists"][shop_settings.audience_id]["members"]
    store = state["stores"][shop_settings.store_id]
    interest_of_group = known_interest_ids(shop_settings.shop_id)
    synced = {(k, o) for k, o in MailchimpSyncItem.objects.filter(status=SyncStatus.SYNCED).values_list(
        "kind", "object_id")}
    problems = []
    for contact in PersonContact.objects.filter(shops=shop_settings.shop):
        if only_synced and (SyncKind.CONTACT, contact.pk) not in synced:
            continue
        member = members.get(hashlib.md5(contact.email.lower().encode()).hexdigest())
        if member is None:
            problems.append(("no member", contact.pk))
            continue
        # "pending": permission withdrawn and given again, so Mailchimp asks the person to re-confirm.
        want = {"subscribed", "pending"} if contact.marketing_permission else {"unsubscribed", "transactional"}
        if member["status"] not in want:
            problems.append(("status", contact.pk, member["status"], contact.marketing_permission))
        if member["merge_fields"].get("LNAME") != contact.last_name:
            problems.append(("LNAME", contact.pk))
        groups = set(contact.groups.filter(shop=shop_settings.shop).values_list("pk", flat=True))
        for group_id, interest_id in interest_of_group.items():
            if bool(member["interests"].get(interest_id)) != (group_id in groups):
                problems.append(("interest", contact.pk, group_id))
        customer = store["customers"].get(str(contact.pk))
        if customer is None or customer.get("opt_in_status") != contact.marketing_permission:
            problems.append(("customer", contact.pk))
    for order in Order.objects.filter(shop=shop_settings.shop):
        if only_synced and (SyncKind.ORDER, order.pk) not in synced:
            continue
        remote = store["orders"].get(str(order.pk))
        if remote is None or abs(float(remote["order_total"]) - float(order.taxful_total_price.value)) > 0.005:
            problems.append(("order", order.pk))
        elif remote.get("financial_status") != ("paid" if order.is_paid() else "pending"):
            problems.append(("order status", order.pk, remote.get("financial_status")))
    return problems


if __name__ == "__main__":
    rate = float(os.environ.get("FAULT_RATE", "0.2"))
    sys.exit(main(fault_rate=rate))
