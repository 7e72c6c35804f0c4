from .automations import *  # noqa: F401,F403 (its __all__: newsletter sign-ups)
from .campaigns import *  # noqa: F401,F403 (its __all__: campaigns, segments, order attribution)
from .full_sync import MailchimpFullSync, MailchimpSyncBatch
from .logs import MailchimpLogEntry
from .shop_settings import MailchimpShopSettings
from .sync_items import MailchimpSyncItem
from .webhook_events import MailchimpWebhookEvent

__all__ = [
    "MailchimpFullSync",
    "MailchimpLogEntry",
    "MailchimpShopSettings",
    "MailchimpSyncBatch",
    "MailchimpSyncItem",
    "MailchimpWebhookEvent",
]
