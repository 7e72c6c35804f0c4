from .actions import CheckConnectionView, InitializeStoreView, ResendFailedView
from .log import LogEntryListView
from .overview import MailchimpOverviewView
from .sync_items import SyncItemListView

__all__ = [
    "CheckConnectionView",
    "InitializeStoreView",
    "LogEntryListView",
    "MailchimpOverviewView",
    "ResendFailedView",
    "SyncItemListView",
]
