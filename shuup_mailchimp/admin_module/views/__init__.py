from .actions import CheckConnectionView, DisconnectView, InitializeStoreView, QueueContactView, ResendFailedView
from .integrations import IntegrationsView, ShopDashboardView
from .log import LogEntryListView
from .sync_items import SyncItemDetailView, SyncItemListView

__all__ = [
    "CheckConnectionView",
    "DisconnectView",
    "InitializeStoreView",
    "IntegrationsView",
    "LogEntryListView",
    "QueueContactView",
    "ResendFailedView",
    "ShopDashboardView",
    "SyncItemDetailView",
    "SyncItemListView",
]
