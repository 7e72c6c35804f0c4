"""A demo shop with a few hundred contacts, contact groups, products and orders (deterministic)."""
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from shuup.core.models import CompanyContact, Contact, ContactGroup, PersonContact, Product, ShopStatus, Supplier
from shuup.testing import factories

FIRST = ["Aino", "Ben", "Chloe", "Dmitri", "Eeva", "Farah", "Gus", "Hana", "Ivo", "Jade", "Kai", "Lena", "Milo",
         "Nora", "Otto", "Pia", "Quinn", "Rosa", "Sami", "Tuuli", "Uma", "Veli", "Wen", "Xavi", "Yara", "Zoe"]
LAST = ["Aalto", "Berg", "Costa", "Dahl", "Eklund", "Fischer", "Garcia", "Heikkinen", "Ito", "Jensen", "Koskinen",
        "Laine", "Moreau", "Nieminen", "Okafor", "Peltonen", "Rossi", "Salo", "Tanaka", "Virtanen"]
DOMAINS = ["mailbox.org", "posteo.net", "fastmail.fm", "proton.me", "gmx.de"]
GROUPS = ["VIP customers", "Newsletter readers", "Wholesale", "Returning buyers", "Staff"]


def demo_shop():
    shop = factories.get_default_shop()
    if not shop.domain:
        shop.domain = "demo-shop.shuup.test"
        shop.status = ShopStatus.ENABLED
        shop.save()
    return shop


@transaction.atomic
def build_demo_data(contacts=300, products=20, orders=150, seed=42, stdout=None):
    """Create the demo catalogue and customers once; return counts. Safe to run again."""
    rng = random.Random(seed)
    random.seed(seed)  # Shuup's factories use the global RNG
    shop = demo_shop()
    # No stock-managing module: Shuup's stock bookkeeping is 55% of an order's creation time (profiled).
    supplier = Supplier.objects.filter(identifier="demo-supplier").first() or Supplier.objects.create(
        identifier="demo-supplier", name="Demo supplier")
    supplier.shops.add(shop)
    if Contact.objects.filter(shops=shop).count() >= contacts:
        return {"created": False}
    groups = []
    for name in GROUPS:
        group = ContactGroup.objects.filter(shop=shop, translations__name=name).first()
        groups.append(group or ContactGroup.objects.create(shop=shop, name=name, identifier="demo-" + name.lower()))
    catalogue = [
        Product.objects.filter(sku="demo-%02d" % n).first()
        or factories.create_product("demo-%02d" % n, shop=shop, supplier=supplier, default_price=rng.randint(5, 120),
                                    name="Demo product %d" % n)
        for n in range(products)
    ]
    people = []
    for n in range(contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = "%s.%s%d@%s" % (first.lower(), last.lower(), n, DOMAINS[n % len(DOMAINS)])
        if n % 25 == 0:
            contact = CompanyContact.objects.create(name="%s %s Oy" % (last, first), email=email,
                                                    marketing_permission=rng.random() < 0.7)
        else:
            contact = PersonContact.objects.create(first_name=first, last_name=last, email=email,
                                                   marketing_permission=rng.random() < 0.7)
        contact.add_to_shop(shop)
        for group in rng.sample(groups, rng.randint(0, 2)):
            group.members.add(contact)
        people.append(contact)
    for n in range(orders):
        order = factories.create_random_order(
            customer=rng.choice(people), products=rng.sample(catalogue, rng.randint(1, 3)), shop=shop,
            random_products=False,
        )
        if rng.random() < 0.6:
            order.create_payment(order.taxful_total_price)
        elif rng.random() < 0.2:
            order.set_canceled()
        if stdout and n % 50 == 0:
            stdout.write("  orders: %d/%d" % (n, orders))
    _admin_user()
    return {"created": True, "contacts": len(people), "groups": len(groups), "products": len(catalogue),
            "orders": orders}


def _admin_user():
    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@demo-shop.shuup.test", "admin")
