"""Which function syncs which kind of item, and in what order a run takes the kinds."""
from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.sync.carts import sync_cart
from shuup_mailchimp.sync.contacts import sync_contact
from shuup_mailchimp.sync.erasure import sync_erasure
from shuup_mailchimp.sync.interests import sync_interest
from shuup_mailchimp.sync.orders import sync_order, sync_product
from shuup_mailchimp.sync.promos import sync_promo
from shuup_mailchimp.sync.segments import sync_segment

HANDLERS = {
    SyncKind.INTEREST: sync_interest,
    SyncKind.CONTACT: sync_contact,
    SyncKind.PRODUCT: sync_product,
    SyncKind.ORDER: sync_order,
    SyncKind.ERASURE: sync_erasure,
    SyncKind.SEGMENT: sync_segment,
    SyncKind.PROMO: sync_promo,
    SyncKind.CART: sync_cart,
}
#: Groups before contacts (their interests), products before promo codes, orders and carts (an order
#: before the cart its basket made, which it deletes); tags after the contacts they hold.
KIND_ORDER = {SyncKind.INTEREST: 0, SyncKind.CONTACT: 1, SyncKind.PRODUCT: 2, SyncKind.PROMO: 3, SyncKind.ORDER: 4,
              SyncKind.CART: 5, SyncKind.ERASURE: 6, SyncKind.SEGMENT: 7}
