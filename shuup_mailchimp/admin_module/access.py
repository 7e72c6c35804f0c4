"""Who may see and do what in the Mailchimp admin.

Two checks, both on every view and action:

- a Shuup admin permission string per page and per action. Each URL's permission is its URL
  name (Shuup's ``admin_url`` default), so the permission group editor lists them one by one;
  resending has its own (``RESEND``), also checked by the Picotable mass action and the
  contact section, which do not go through its URL;
- the shop: a user only sees and acts on the shops they are staff of (superusers on all).
  Another shop's pages answer 404, as if they did not exist.
"""
from django.http import Http404
from django.utils.translation import ugettext_lazy as _
from shuup.admin.utils.permissions import has_permission
from shuup.core.models import Shop

INTEGRATIONS = "shuup_mailchimp.integrations"
DASHBOARD = "shuup_mailchimp.dashboard"
CHECK_CONNECTION = "shuup_mailchimp.check_connection"
INITIALIZE_STORE = "shuup_mailchimp.initialize_store"
DISCONNECT = "shuup_mailchimp.disconnect"
RESEND = "shuup_mailchimp.resend"
SYNC_ITEMS = "shuup_mailchimp.sync_items"
LOG = "shuup_mailchimp.log"
#: Not a page: the Mailchimp tab of the shop edit page (key, audience, switches).
EDIT_SETTINGS = "shuup_mailchimp.edit_settings"
#: Not a page: the Mailchimp section of a contact's page.
CONTACT_STATUS = "shuup_mailchimp.contact_status"

HELP_TEXTS = {
    INTEGRATIONS: _("See the list of shops and their Mailchimp connection."),
    DASHBOARD: _("See a shop's Mailchimp dashboard: health, counts, activity and latest errors."),
    CHECK_CONNECTION: _("Ask Mailchimp whether a shop's API key and audience work."),
    INITIALIZE_STORE: _("Create or update a shop's eCommerce store and interests in Mailchimp."),
    DISCONNECT: _("Stop syncing a shop with Mailchimp."),
    RESEND: _("Queue failed sync items to be sent again."),
    SYNC_ITEMS: _("See the sync items (what is sent to Mailchimp) and their errors."),
    LOG: _("See the log of Mailchimp calls."),
    EDIT_SETTINGS: _("Edit the Mailchimp settings (API key, audience) on the shop's edit page."),
    CONTACT_STATUS: _("See the Mailchimp section on a contact's page."),
}


def visible_shops(user):
    """The shops this admin user may see: all for a superuser, else those they are staff of."""
    if not getattr(user, "is_staff", False):
        return Shop.objects.none()
    return Shop.objects.get_for_user(user).order_by("pk")


def shop_or_404(request, shop_pk):
    """The shop with this id if the user may see it; 404 otherwise (another shop does not exist)."""
    shop = visible_shops(request.user).filter(pk=shop_pk).first()
    if shop is None:
        raise Http404(_("No such shop."))
    return shop


def can(request, permission) -> bool:
    return has_permission(request.user, permission)


#: The full sync's page (progress, history) and its progress JSON; scheduling one (views/full_sync.py).
FULL_SYNC = "shuup_mailchimp.full_sync"
SCHEDULE_SYNC = "shuup_mailchimp.full_sync_schedule"
HELP_TEXTS.update({
    FULL_SYNC: _("See a shop's full syncs with Mailchimp: the progress of the latest and the past ones."),
    SCHEDULE_SYNC: _("Schedule a full sync of a shop with Mailchimp (everything it has, in batches)."),
})
