"""Enumerations stored in the database (``enumfields``, as Shuup does; Django 2.2 has no TextChoices)."""
from django.utils.translation import ugettext_lazy as _
from enumfields import Enum


class ConflictPolicy(Enum):
    """Who wins when Shuup and Mailchimp disagree about a contact (two-way sync)."""

    REMOTE_WINS = "remote"
    LOCAL_WINS = "local"

    class Labels:
        REMOTE_WINS = _("Mailchimp wins")
        LOCAL_WINS = _("Shuup wins")


class SyncKind(Enum):
    """What one outbox item sends. The Shuup object id's meaning depends on the kind."""

    CONTACT = "contact"  # Contact -> eCommerce customer + audience member (with interests)
    INTEREST = "interest"  # ContactGroup -> interest in the "Contact Group" category
    ORDER = "order"  # Order -> eCommerce order (products ensured first)
    PRODUCT = "product"  # Product -> eCommerce product with its variants
    ERASURE = "erasure"  # an anonymized (GDPR) Contact -> member deleted permanently, customers removed
    SEGMENT = "segment"  # a chosen ContactGroup -> a tag (static segment) with exactly its members
    CART = "cart"  # a stored basket left idle -> eCommerce cart (abandoned-cart automation); deleted when done
    PROMO = "promo"  # a BasketCampaign with a Coupon -> promo rule with its promo code

    class Labels:
        CONTACT = _("contact")
        INTEREST = _("contact group")
        ORDER = _("order")
        PRODUCT = _("product")
        ERASURE = _("erasure (GDPR)")
        SEGMENT = _("contact group tag")
        CART = _("cart")
        PROMO = _("promo code")


class SyncStatus(Enum):
    PENDING = "pending"
    PROCESSING = "processing"
    SYNCED = "synced"
    FAILED = "failed"

    class Labels:
        PENDING = _("pending")
        PROCESSING = _("processing")
        SYNCED = _("synced")
        FAILED = _("failed")


class ErrorKind(Enum):
    """Where an item's last error came from: Mailchimp's answer, or our side."""

    MAILCHIMP = "mailchimp"  # Mailchimp answered with an error, or could not be reached
    DATABASE = "database"  # a database error (deadlock, lost connection): retried
    INTERNAL = "internal"  # a bug in shuup_mailchimp: retried with bounds, logged with its traceback
    CONFIGURATION = "configuration"  # the shop's integration is disabled or incomplete

    class Labels:
        MAILCHIMP = _("Mailchimp")
        DATABASE = _("database")
        INTERNAL = _("internal error")
        CONFIGURATION = _("configuration")


class WebhookStatus(Enum):
    """What became of one received Mailchimp webhook."""

    RECEIVED = "received"  # stored raw, waiting to be applied
    APPLIED = "applied"  # changed Shuup's data
    SKIPPED = "skipped"  # nothing to change: unknown address, a duplicate, or two-way sync off
    INVALID = "invalid"  # malformed: nothing applied, the raw payload kept for inspection
    FAILED = "failed"  # applying raised; see the error

    class Labels:
        RECEIVED = _("received")
        APPLIED = _("applied")
        SKIPPED = _("skipped")
        INVALID = _("invalid")
        FAILED = _("failed")


class FullSyncStatus(Enum):
    """Where a full sync run of a shop is (see ``sync/fullsync``)."""

    QUEUED = "queued"  # scheduled from the admin, not started yet
    RUNNING = "running"
    INTERRUPTED = "interrupted"  # stopped by an error, a kill or Ctrl-C: the next run continues it
    FINISHED = "finished"  # every phase done (items may have failed: see the counts)

    class Labels:
        QUEUED = _("queued")
        RUNNING = _("running")
        INTERRUPTED = _("interrupted")
        FINISHED = _("finished")


class BatchStatus(Enum):
    """One Mailchimp batch operation of a full sync."""

    BUILDING = "building"  # its items are claimed; not (known to be) accepted by Mailchimp yet
    SUBMITTED = "submitted"  # Mailchimp accepted it; waiting for it to finish
    APPLIED = "applied"  # its results are on the items
    LOST = "lost"  # its results cannot be had (cancelled, expired): its items go again
    RESENT = "resent"  # a lost batch whose items went out in later batches

    class Labels:
        BUILDING = _("building")
        SUBMITTED = _("submitted")
        APPLIED = _("applied")
        LOST = _("lost")
        RESENT = _("resent")
