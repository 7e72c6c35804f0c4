"""The "Mailchimp" admin module (Addons > Mailchimp).

- ``mailchimp/``: the integrations grid, one row per shop the user may see;
- ``mailchimp/shop/<id>/``: that shop's dashboard (health in words, counts, activity, errors),
  with its actions (POST), sync items (list and item pages) and call log;
- a block on Shuup's dashboard, setup help blocks (key -> audience -> initialize), a section on
  each contact's page (:mod:`.sections`), and the settings tab of the shop's edit page
  (:mod:`.form_parts`), where Shuup keeps per-shop configuration.

Every URL carries its own permission (see :mod:`.access`); the shop in the URL must be one the
user is staff of.
"""
from django.utils.translation import ugettext_lazy as _
from shuup.admin.base import AdminModule, MenuEntry, Notification
from shuup.admin.menu import ADDONS_MENU_CATEGORY
from shuup.admin.utils.urls import admin_url

from shuup_mailchimp.admin_module import access

VIEWS = "shuup_mailchimp.admin_module.views"
SHOP = r"^mailchimp/shop/(?P<shop_pk>\d+)/"


class MailchimpAdminModule(AdminModule):
    name = _("Mailchimp")
    breadcrumbs_menu_entry = MenuEntry(text=name, url="shuup_admin:shuup_mailchimp.integrations",
                                       category=ADDONS_MENU_CATEGORY)

    def get_urls(self):
        return [
            admin_url(r"^mailchimp/$", VIEWS + ".IntegrationsView", name="shuup_mailchimp.integrations"),
            admin_url(SHOP + r"$", VIEWS + ".ShopDashboardView", name="shuup_mailchimp.dashboard"),
            admin_url(SHOP + r"check-connection/$", VIEWS + ".CheckConnectionView",
                      name="shuup_mailchimp.check_connection"),
            admin_url(SHOP + r"initialize-store/$", VIEWS + ".InitializeStoreView",
                      name="shuup_mailchimp.initialize_store"),
            admin_url(SHOP + r"disconnect/$", VIEWS + ".DisconnectView", name="shuup_mailchimp.disconnect"),
            admin_url(SHOP + r"resend-failed/$", VIEWS + ".ResendFailedView", name="shuup_mailchimp.resend_failed",
                      permissions=(access.RESEND,)),
            admin_url(SHOP + r"queue-contact/$", VIEWS + ".QueueContactView", name="shuup_mailchimp.queue_contact",
                      permissions=(access.RESEND,)),
            admin_url(SHOP + r"items/$", VIEWS + ".SyncItemListView", name="shuup_mailchimp.sync_items"),
            admin_url(SHOP + r"items/(?P<pk>\d+)/$", VIEWS + ".SyncItemDetailView", name="shuup_mailchimp.sync_item",
                      permissions=(access.SYNC_ITEMS,)),
            admin_url(SHOP + r"log/$", VIEWS + ".LogEntryListView", name="shuup_mailchimp.log"),
            admin_url(SHOP + r"full-sync/$", VIEWS + ".full_sync.FullSyncView", name="shuup_mailchimp.full_sync"),
            admin_url(SHOP + r"full-sync/schedule/$", VIEWS + ".full_sync.FullSyncScheduleView",
                      name="shuup_mailchimp.full_sync_schedule"),
            admin_url(SHOP + r"full-sync/progress\.json$", VIEWS + ".full_sync.FullSyncProgressView",
                      name="shuup_mailchimp.full_sync_progress", permissions=(access.FULL_SYNC,)),
        ]

    def get_extra_permissions(self):
        return (access.EDIT_SETTINGS, access.CONTACT_STATUS)

    def get_permissions_help_texts(self):
        return dict(access.HELP_TEXTS)

    def get_menu_entries(self, request):
        return [
            MenuEntry(text=_("Mailchimp"), icon="fa fa-envelope", url="shuup_admin:shuup_mailchimp.integrations",
                      category=ADDONS_MENU_CATEGORY, ordering=1, aliases=[_("Newsletter"), _("Mailchimp sync")]),
        ]

    def get_dashboard_blocks(self, request):
        from shuup_mailchimp.admin_module.dashboard import dashboard_blocks

        return dashboard_blocks(request)

    def get_help_blocks(self, request, kind):
        from shuup_mailchimp.admin_module.dashboard import help_blocks

        return help_blocks(request, kind)

    def get_notifications(self, request):
        from shuup_mailchimp.admin_module.dashboard import notifications

        return notifications(request, Notification)
