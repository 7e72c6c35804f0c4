"""Which function syncs which kind of item, and in what order a run takes the kinds."""
from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.sync.contacts import sync_contact
from shuup_mailchimp.sync.erasure import sync_erasure
from shuup_mailchimp.sync.interests import sync_interest
from shuup_mailchimp.sync.orders import sync_order, sync_product

HANDLERS = {
    SyncKind.INTEREST: sync_interest,
    SyncKind.CONTACT: sync_contact,
    SyncKind.PRODUCT: sync_product,
    SyncKind.ORDER: sync_order,
    SyncKind.ERASURE: sync_erasure,
}
#: Groups before contacts (their interests), products before orders.
KIND_ORDER = {SyncKind.INTEREST: 0, SyncKind.CONTACT: 1, SyncKind.PRODUCT: 2, SyncKind.ORDER: 3, SyncKind.ERASURE: 4}
