from .logs import MailchimpLogEntry
from .shop_settings import MailchimpShopSettings
from .sync_items import MailchimpSyncItem

__all__ = ["MailchimpLogEntry", "MailchimpShopSettings", "MailchimpSyncItem"]
