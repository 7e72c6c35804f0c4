"""Views of the "Mailchimp campaigns" admin module (see ``admin_module/campaigns.py``)."""
from .campaigns import CampaignsHomeView, CampaignsView, ImportCampaignsView  # noqa: F401
from .segments import SaveSegmentsView, SegmentsHomeView, SegmentsView, SyncSegmentsView  # noqa: F401
