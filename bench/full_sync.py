"""Full sync of a big shop through batch operations, against the emulator as a real HTTP server.

    python bench/full_sync.py [--contacts 100000] [--products 1000] [--orders 20000] [--groups 10]
                              [--latency 0.05] [--sample-contacts 200 ...]

(``FULL_SYNC=1 make bench`` runs it from ``bench/run_all.py``; ``BENCH_POSTGRES=...`` as the others.)

1. A child process builds the data set with ``bulk_create`` (the ORM one by one would take hours):
   contacts in groups, products, orders with lines and taxes, cloned from objects Shuup's own
   factories made. The emulator runs in another process, so the RSS measured is the sync's alone.
2. Per-record baseline: a sample of each kind is sent the incremental way (one request per record,
   two per contact) at the emulated latency, timed per record and scaled up to the full size.
3. The full sync, timed per phase, with the HTTP requests it made and the peak RSS of this process.
4. The floor: reading the same rows and serializing what would be sent (``plans.plan_page`` over
   every page: the same queries, payloads and JSON, no claim and no HTTP).

Targets: <= 1 HTTP request per 500 records (polls and archive downloads included), peak RSS <=
250 MB, >= 20x faster than per record, <= 3x the floor.
"""
import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time

import requests

from _setup import API_KEY, EmulatorProcess, setup_django

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def options(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100000)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the emulator adds to each API request")
    parser.add_argument("--sample-contacts", type=int, default=200)
    parser.add_argument("--sample-products", type=int, default=50)
    parser.add_argument("--sample-orders", type=int, default=100)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)  # the child's job
    parser.add_argument("--database-url", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- the emulator, in its own process ----------------------------------------------------------------

def configure_emulator(url, **values):
    return requests.post(url + "/_emulator/config", json=values, timeout=10).json()


def spot_check(url, list_id, store_id, emails, order_ids):
    """How many of these members and orders Mailchimp has (a listing of 100,000 would take too long)."""
    import hashlib

    found = 0
    for email in emails:
        path = "lists/%s/members/%s" % (list_id, hashlib.md5(email.encode()).hexdigest())
        found += requests.get("%s/3.0/%s" % (url, path), params={"fields": "status"}, auth=("bench", API_KEY),
                              timeout=120).status_code == 200
    for order_id in order_ids:
        path = "ecommerce/stores/%s/orders/%s" % (store_id, order_id)
        found += requests.get("%s/3.0/%s" % (url, path), params={"fields": "id"}, auth=("bench", API_KEY),
                              timeout=120).status_code == 200
    return found


# --- the data set ------------------------------------------------------------------------------------

def _copy_fields(instance, **changes):
    model = type(instance)
    values = {f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
    values.update(changes)
    return model(**values)


def _next_pk(model):
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def generate(opts):
    """Runs in the child process: the data set, with bulk_create."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone
    from shuup.core.models import (
        Contact, ContactGroup, Order, OrderLine, OrderLineTax, PersonContact, Product, ShopProduct,
    )
    from shuup.testing import factories

    from shuup_mailchimp.models import MailchimpSyncItem

    rng = random.Random(8)
    shop = factories.get_default_shop()
    supplier = factories.get_default_supplier()
    groups = [factories.create_random_contact_group(shop=shop) for _ in range(opts.groups)]
    template = PersonContact.objects.create(first_name="Tem", last_name="Plate", email="template@mailbox.org")
    template.add_to_shop(shop)
    person_type = ContentType.objects.get_for_model(PersonContact).pk
    started = time.monotonic()

    contact_ids = []
    first = _next_pk(Contact)
    gender = PersonContact.objects.filter(pk=template.pk).values_list("gender", flat=True)[0]
    gender = getattr(gender, "value", gender)
    table = PersonContact._meta.db_table
    shop_link, group_link = Contact.shops.through, ContactGroup.members.through
    for start in range(0, opts.contacts, 5000):
        rows, persons, shop_rows, group_rows = [], [], [], []
        for n in range(start, min(start + 5000, opts.contacts)):
            pk = first + n
            first_name, last_name = "First%d" % n, "Last%d" % (n % 977)
            rows.append(_copy_fields(template, id=pk, polymorphic_ctype_id=person_type, identifier=None,
                                     name="%s %s" % (first_name, last_name), email="c%d@mailbox.org" % n,
                                     marketing_permission=n % 3 != 0))
            persons.append((pk, None, gender, None, first_name, last_name))
            shop_rows.append(shop_link(contact_id=pk, shop_id=shop.pk))
            for group in rng.sample(groups, k=min(len(groups), rng.randint(0, 2))):
                group_rows.append(group_link(contact_id=pk, contactgroup_id=group.pk))
            contact_ids.append(pk)
        with transaction.atomic():
            Contact.objects.bulk_create(rows)
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO %s (contact_ptr_id, user_id, gender, birth_date, first_name, "
                                   "last_name) VALUES (%%s, %%s, %%s, %%s, %%s, %%s)" % table, persons)
            shop_link.objects.bulk_create(shop_rows)
            group_link.objects.bulk_create(group_rows)

    product_template = factories.create_product("bench-template", shop=shop, supplier=supplier, default_price=10)
    translation_model = Product._parler_meta.root_model
    translation = translation_model.objects.filter(master_id=product_template.pk).first()
    shop_product = ShopProduct.objects.get(product=product_template, shop=shop)
    first = _next_pk(Product)
    products, translations, shop_products = [], [], []
    first_sp, first_tr = _next_pk(ShopProduct), _next_pk(translation_model)
    for n in range(opts.products):
        pk = first + n
        products.append(_copy_fields(product_template, id=pk, sku="bench-%d" % n))
        translations.append(_copy_fields(translation, id=first_tr + n, master_id=pk, name="Product %d" % n,
                                         slug="product-%d" % n))
        shop_products.append(_copy_fields(shop_product, id=first_sp + n, product_id=pk,
                                          default_price_value=5 + n % 50))
    with transaction.atomic():
        Product.objects.bulk_create(products)
        translation_model.objects.bulk_create(translations)
        ShopProduct.objects.bulk_create(shop_products)
    product_ids = [p.pk for p in products]

    order_template = factories.create_random_order(customer=template, products=[product_template], shop=shop,
                                                   random_products=False)
    lines = list(order_template.lines.all().order_by("pk"))
    taxes = {line.pk: list(OrderLineTax.objects.filter(order_line=line)) for line in lines}
    first, first_line, first_tax = _next_pk(Order), _next_pk(OrderLine), _next_pk(OrderLineTax)
    emails = dict(Contact.objects.filter(pk__in=contact_ids[:max(1, min(len(contact_ids), opts.orders))])
                  .values_list("pk", "email"))
    now = timezone.now()
    line_pk, tax_pk = first_line, first_tax
    for start in range(0, opts.orders, 2000):
        orders, order_lines, line_taxes = [], [], []
        for n in range(start, min(start + 2000, opts.orders)):
            pk = first + n
            customer = contact_ids[n % len(contact_ids)]
            orders.append(_copy_fields(order_template, id=pk, identifier="bench-%d" % n, key="bench-key-%d" % n,
                                       reference_number="bench-ref-%d" % n, customer_id=customer,
                                       orderer_id=customer, email=emails.get(customer) or "c%d@mailbox.org" % (
                                           customer - contact_ids[0]),
                                       order_date=now - timezone.timedelta(minutes=n), modified_on=now))
            for line in lines:
                product = product_ids[rng.randrange(len(product_ids))] if line.product_id else None
                order_lines.append(_copy_fields(line, id=line_pk, order_id=pk, product_id=product))
                for tax in taxes[line.pk]:
                    line_taxes.append(_copy_fields(tax, id=tax_pk, order_line_id=line_pk))
                    tax_pk += 1
                line_pk += 1
        with transaction.atomic():
            Order.objects.bulk_create(orders)
            OrderLine.objects.bulk_create(order_lines)
            OrderLineTax.objects.bulk_create(line_taxes)
    MailchimpSyncItem.objects.all().delete()  # the templates' saves recorded work: the shop starts unsynced
    print(json.dumps({"seconds": round(time.monotonic() - started, 1), "contacts": len(contact_ids),
                      "products": len(product_ids), "orders": opts.orders, "first_contact": contact_ids[0],
                      "first_product": product_ids[0], "first_order": first}))


# --- the measurements --------------------------------------------------------------------------------

class PhaseTimer:
    def __init__(self):
        self.started = time.monotonic()
        self.phases = []  # (name, start)

    def phase(self, run, name):
        if not self.phases or self.phases[-1][0] != name:
            self.phases.append((name, time.monotonic()))

    def progress(self, run):
        pass

    def durations(self, end):
        marks = self.phases + [("end", end)]
        return [(name, marks[i + 1][1] - start) for i, (name, start) in enumerate(self.phases)]


def per_record_sample(shop_id, ids_by_kind):
    """Seconds per record of the incremental sync (one request per record, two per contact)."""
    from shuup_mailchimp.enums import SyncKind
    from shuup_mailchimp.sync import outbox
    from shuup_mailchimp.sync.interests import shop_groups
    from shuup_mailchimp.sync.processing import process_due

    for group_id in shop_groups(shop_id).values_list("pk", flat=True):
        outbox.record([shop_id], SyncKind.INTEREST, group_id)
    process_due(shop_id=shop_id, kinds=[SyncKind.INTEREST])
    per_record = {}
    for kind in (SyncKind.CONTACT, SyncKind.PRODUCT, SyncKind.ORDER):
        for object_id in ids_by_kind[kind]:
            outbox.record([shop_id], kind, object_id)
        started = time.monotonic()
        summary = process_due(shop_id=shop_id, kinds=[kind])
        per_record[kind] = (time.monotonic() - started) / max(1, len(ids_by_kind[kind]))
        assert not summary.failed, summary.errors[:5]
    return per_record


def floor_seconds(shop_settings):
    """Reading the same rows and serializing what would be sent: no claim, no HTTP."""
    from shuup_mailchimp.app_settings import app_settings
    from shuup_mailchimp.enums import SyncKind
    from shuup_mailchimp.sync.fullsync import plans, sources
    from shuup_mailchimp.sync.interests import known_interest_ids

    ctx = plans.Context(shop_settings, known_interest_ids(shop_settings.shop_id), sources.default_language())
    started = time.monotonic()
    for kind in (SyncKind.CONTACT, SyncKind.PRODUCT, SyncKind.ORDER):
        after = 0
        while True:
            ids = sources.next_ids(kind, shop_settings.shop_id, after, app_settings.FULL_SYNC_CHUNK_SIZE)
            if not ids:
                break
            plans.plan_page(kind, ctx, ids)
            after = ids[-1]
    return time.monotonic() - started


def main(argv=None):
    opts = options(argv)
    if opts.generate:
        setup_django(opts.database_url)
        from django.conf import settings

        settings.SHUUP_MAILCHIMP_DISPATCH = "inline"
        generate(opts)
        return 0

    tmp = setup_django()
    from django.conf import settings

    settings.DEBUG = False
    settings.SHUUP_MAILCHIMP_DISPATCH = "inline"
    database_url = os.environ["DATABASE_URL"]
    emulator = EmulatorProcess("Bench audience", "--sync-webhooks")
    try:
        return measure(opts, emulator.url, emulator.list_id, database_url, tmp)
    finally:
        emulator.stop()


def measure(opts, url, list_id, database_url, tmp):
    from django.conf import settings
    from shuup.testing import factories

    from shuup_mailchimp.enums import SyncKind
    from shuup_mailchimp.models import MailchimpLogEntry, MailchimpShopSettings
    from shuup_mailchimp.sync import fullsync
    from shuup_mailchimp.sync.store import initialize_store

    settings.SHUUP_MAILCHIMP_API_URL = url + "/3.0/"
    shop = factories.get_default_shop()
    shop.domain = "bench.shuup.test"
    shop.save()
    shop_settings = MailchimpShopSettings.for_shop(shop)
    shop_settings.api_key, shop_settings.audience_id, shop_settings.enabled = API_KEY, list_id, True
    shop_settings.save()
    initialize_store(shop_settings)
    shop_settings.enabled = False  # the data set is made behind the integration's back, as an existing shop's
    shop_settings.save()

    print("Building %d contacts in %d groups, %d products, %d orders ..." % (
        opts.contacts, opts.groups, opts.products, opts.orders), flush=True)
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--generate", "--database-url", database_url,
                            "--contacts", str(opts.contacts), "--products", str(opts.products), "--orders",
                            str(opts.orders), "--groups", str(opts.groups)], cwd=HERE, capture_output=True, text=True)
    if child.returncode:
        print(child.stdout, child.stderr)
        return 1
    data = json.loads(child.stdout.strip().splitlines()[-1])
    print("  built in %.1f s (bulk_create)" % data["seconds"], flush=True)
    shop_settings.refresh_from_db()
    shop_settings.enabled = True
    shop_settings.save()
    records = data["contacts"] + data["products"] + data["orders"]

    configure_emulator(url, latency=opts.latency)
    sample = {SyncKind.CONTACT: list(range(data["first_contact"], data["first_contact"] + opts.sample_contacts)),
              SyncKind.PRODUCT: list(range(data["first_product"], data["first_product"] + opts.sample_products)),
              SyncKind.ORDER: list(range(data["first_order"], data["first_order"] + opts.sample_orders))}
    print("Per-record sample at %.0f ms latency ..." % (opts.latency * 1000), flush=True)
    per_record = per_record_sample(shop_settings.shop_id, sample)
    per_record_estimate = (per_record[SyncKind.CONTACT] * data["contacts"] + per_record[SyncKind.PRODUCT] *
                           data["products"] + per_record[SyncKind.ORDER] * data["orders"])

    print("Full sync ...", flush=True)
    since_log = MailchimpLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    timer = PhaseTimer()
    started = time.monotonic()
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    run = fullsync.run_full_sync(shop_settings.shop_id, reporter=timer)
    wall = time.monotonic() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(os.environ["BENCH_PROFILE"])
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    calls = MailchimpLogEntry.objects.filter(pk__gt=since_log).exclude(method="")
    requests_made = calls.count()
    polls = calls.filter(operation__in=["batches.get", "batches.all"]).count()
    downloads = calls.filter(operation="batches.results").count()
    submits = calls.filter(operation="batches.create").count()

    configure_emulator(url, latency=0)
    rng = random.Random(3)
    picks = [rng.randrange(data["contacts"]) for _ in range(10)]
    order_picks = [data["first_order"] + rng.randrange(data["orders"]) for _ in range(10)]
    found = spot_check(url, list_id, shop_settings.store_id, ["c%d@mailbox.org" % n for n in picks], order_picks)
    floor = floor_seconds(shop_settings)

    counts = {k: fullsync.runs.kind_counts(run, k) for k in fullsync.runs.KINDS}
    print()
    print("FULL_SYNC size: %d contacts (%d groups), %d products, %d orders = %d records; emulator latency %.0f ms" % (
        data["contacts"], opts.groups, data["products"], data["orders"], records, opts.latency * 1000))
    for name, seconds in timer.durations(started + wall):
        print("  phase %-9s %8.1f s" % (name, seconds))
    print("  wall time       %8.1f s (run status %s)" % (wall, run.status.value))
    for kind, c in counts.items():
        print("  %-8s sent %6d, synced %6d, unchanged %6d, skipped %4d, failed %4d, one by one %4d" % (
            kind.value, c["sent"], c["synced"], c["unchanged"], c["skipped"], c["failed"], c["per_record"]))
    print("  spot check: %d of 20 random members and orders found in Mailchimp" % found)
    print("FULL_SYNC HTTP requests = %d (%d batch submits, %d polls, %d archive downloads, %d others); "
          "%.2f per 500 records (target <= 1)" % (requests_made, submits, polls, downloads,
                                                  requests_made - submits - polls - downloads,
                                                  requests_made * 500.0 / records))
    print("FULL_SYNC peak RSS = %.0f MB (target <= 250)" % peak_rss_mb)
    print("FULL_SYNC per-record estimate = %.0f s (%.1f / %.1f / %.1f ms per contact / product / order at %.0f ms "
          "latency, sample %d/%d/%d); full sync %.1f s: %.1fx faster (target >= 20)" % (
              per_record_estimate, per_record[SyncKind.CONTACT] * 1000, per_record[SyncKind.PRODUCT] * 1000,
              per_record[SyncKind.ORDER] * 1000, opts.latency * 1000, opts.sample_contacts, opts.sample_products,
              opts.sample_orders, wall, per_record_estimate / wall))
    print("FULL_SYNC floor (read + serialize the same rows) = %.1f s; full sync / floor = %.2f (target <= 3)" % (
        floor, wall / floor))
    ok = (run.status.value == "finished" and found == 20 and requests_made * 500.0 / records <= 1 and peak_rss_mb <= 250
          and per_record_estimate / wall >= 20 and wall / floor <= 3)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
