"""The "Mailchimp campaigns" admin module (its own module beside the main Mailchimp one).

- ``mailchimp/shop/<id>/campaigns/``: the shop's imported campaigns (a sortable table) and charts
  of open rate, click rate and revenue per campaign over time, Mailchimp's revenue beside the
  shop's own from attributed orders; *Import campaigns* (POST) reads them now;
- ``mailchimp/shop/<id>/segments/``: which contact groups are also kept as Mailchimp tags, and each
  tag's sync status with its counts (synced, pending, failed; members in Shuup, in the audience,
  in the tag, to add and to remove);
- ``mailchimp/campaigns/`` and ``mailchimp/segments/``: the menu entries, for the admin's current shop.

Every URL carries its own permission (its URL name); the shop in the URL must be one the user
is staff of (404 otherwise).
"""
from django.utils.translation import ugettext_lazy as _
from shuup.admin.base import AdminModule, MenuEntry
from shuup.admin.menu import ADDONS_MENU_CATEGORY
from shuup.admin.utils.urls import admin_url

VIEWS = "shuup_mailchimp.admin_module.campaign_views"
SHOP = r"^mailchimp/shop/(?P<shop_pk>\d+)/"

CAMPAIGNS = "shuup_mailchimp.campaigns"
IMPORT_CAMPAIGNS = "shuup_mailchimp.campaigns.import"
SEGMENTS = "shuup_mailchimp.segments"
SAVE_SEGMENTS = "shuup_mailchimp.segments.save"
SYNC_SEGMENTS = "shuup_mailchimp.segments.sync"

HELP_TEXTS = {
    CAMPAIGNS: _("See a shop's Mailchimp campaigns, their reports and charts."),
    IMPORT_CAMPAIGNS: _("Import a shop's Mailchimp campaigns and reports now."),
    SEGMENTS: _("See which contact groups are kept as Mailchimp tags, and their sync status."),
    SAVE_SEGMENTS: _("Choose which contact groups are kept as Mailchimp tags."),
    SYNC_SEGMENTS: _("Queue a shop's Mailchimp tags to be checked and sent now."),
}


class MailchimpCampaignsAdminModule(AdminModule):
    name = _("Mailchimp campaigns")
    breadcrumbs_menu_entry = MenuEntry(text=name, url="shuup_admin:%s.home" % CAMPAIGNS,
                                       category=ADDONS_MENU_CATEGORY)

    def get_urls(self):
        return [
            admin_url(r"^mailchimp/campaigns/$", VIEWS + ".CampaignsHomeView", name=CAMPAIGNS + ".home",
                      permissions=(CAMPAIGNS,)),
            admin_url(r"^mailchimp/segments/$", VIEWS + ".SegmentsHomeView", name=SEGMENTS + ".home",
                      permissions=(SEGMENTS,)),
            admin_url(SHOP + r"campaigns/$", VIEWS + ".CampaignsView", name=CAMPAIGNS),
            admin_url(SHOP + r"campaigns/import/$", VIEWS + ".ImportCampaignsView", name=IMPORT_CAMPAIGNS),
            admin_url(SHOP + r"segments/$", VIEWS + ".SegmentsView", name=SEGMENTS),
            admin_url(SHOP + r"segments/save/$", VIEWS + ".SaveSegmentsView", name=SAVE_SEGMENTS),
            admin_url(SHOP + r"segments/sync/$", VIEWS + ".SyncSegmentsView", name=SYNC_SEGMENTS),
        ]

    def get_permissions_help_texts(self):
        return dict(HELP_TEXTS)

    def get_menu_entries(self, request):
        return [
            MenuEntry(text=_("Mailchimp campaigns"), icon="fa fa-bar-chart", url="shuup_admin:%s.home" % CAMPAIGNS,
                      category=ADDONS_MENU_CATEGORY, ordering=2, aliases=[_("Campaign statistics"),
                                                                          _("Newsletter statistics")]),
            MenuEntry(text=_("Mailchimp tags"), icon="fa fa-tags", url="shuup_admin:%s.home" % SEGMENTS,
                      category=ADDONS_MENU_CATEGORY, ordering=3, aliases=[_("Mailchimp segments")]),
        ]
