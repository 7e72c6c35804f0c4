"""The "Mailchimp" admin module: overview with actions, sync item list and call log of the current shop.

The settings themselves live on the shop's edit page (:mod:`.form_parts`), where Shuup keeps
per-shop configuration; this module is for operating the integration.
"""
from django.utils.translation import ugettext_lazy as _
from shuup.admin.base import AdminModule, MenuEntry
from shuup.admin.menu import ADDONS_MENU_CATEGORY
from shuup.admin.utils.urls import admin_url

VIEWS = "shuup_mailchimp.admin_module.views"


class MailchimpAdminModule(AdminModule):
    name = _("Mailchimp")
    breadcrumbs_menu_entry = MenuEntry(text=name, url="shuup_admin:shuup_mailchimp.overview",
                                       category=ADDONS_MENU_CATEGORY)

    def get_urls(self):
        return [
            admin_url(r"^mailchimp/$", VIEWS + ".MailchimpOverviewView", name="shuup_mailchimp.overview"),
            admin_url(r"^mailchimp/check-connection/$", VIEWS + ".CheckConnectionView",
                      name="shuup_mailchimp.check_connection"),
            admin_url(r"^mailchimp/initialize-store/$", VIEWS + ".InitializeStoreView",
                      name="shuup_mailchimp.initialize_store"),
            admin_url(r"^mailchimp/resend-failed/$", VIEWS + ".ResendFailedView",
                      name="shuup_mailchimp.resend_failed"),
            admin_url(r"^mailchimp/items/$", VIEWS + ".SyncItemListView", name="shuup_mailchimp.sync_items"),
            admin_url(r"^mailchimp/log/$", VIEWS + ".LogEntryListView", name="shuup_mailchimp.log"),
        ]

    def get_menu_entries(self, request):
        return [
            MenuEntry(text=_("Mailchimp"), icon="fa fa-envelope", url="shuup_admin:shuup_mailchimp.overview",
                      category=ADDONS_MENU_CATEGORY, ordering=1, aliases=[_("Newsletter")]),
            MenuEntry(text=_("Mailchimp sync items"), icon="fa fa-exchange",
                      url="shuup_admin:shuup_mailchimp.sync_items", category=ADDONS_MENU_CATEGORY, ordering=2),
            MenuEntry(text=_("Mailchimp log"), icon="fa fa-list", url="shuup_admin:shuup_mailchimp.log",
                      category=ADDONS_MENU_CATEGORY, ordering=3),
        ]
