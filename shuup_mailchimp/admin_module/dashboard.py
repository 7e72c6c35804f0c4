"""What the module adds to Shuup's own dashboard and home page, for the admin's current shop:
a block with the headline figures, a notification when something failed, and setup help
blocks that walk a new shop through key -> audience -> initialize."""
from django.utils.translation import ugettext as _
from shuup.admin.dashboard import DashboardContentBlock
from shuup.admin.shop_provider import get_shop
from shuup.admin.views.home import HelpBlockCategory, SimpleHelpBlock
from shuup.utils.django_compat import reverse

from shuup_mailchimp.admin_module import access
from shuup_mailchimp.admin_module.health import DANGER, shop_health
from shuup_mailchimp.admin_module.views.base import dashboard_url, items_url, settings_url
from shuup_mailchimp.enums import SyncStatus
from shuup_mailchimp.models import MailchimpShopSettings


def _current_shop(request):
    shop = get_shop(request)
    if shop is None or not access.visible_shops(request.user).filter(pk=shop.pk).exists():
        return None
    return shop


def dashboard_blocks(request):
    shop = _current_shop(request)
    if shop is None or not access.can(request, access.DASHBOARD):
        return []
    health = shop_health(shop)
    block = DashboardContentBlock.by_rendering_template(
        "mailchimp", request, "shuup_mailchimp/admin/dashboard_block.jinja",
        {"health": health, "shop": shop, "dashboard_url": dashboard_url(shop),
         "failed_url": items_url(shop, status=SyncStatus.FAILED), "settings_url": settings_url(shop)})
    block.size = "medium"
    return [block]


def notifications(request, notification_class):
    shop = _current_shop(request)
    if shop is None or not access.can(request, access.DASHBOARD):
        return []
    health = shop_health(shop)
    if health.level != DANGER:
        return []
    return [notification_class(health.headline, title=_("Mailchimp"), url=dashboard_url(shop), kind="danger")]


def help_blocks(request, kind):
    if kind != "setup":
        return []
    shop = _current_shop(request)
    if shop is None or not access.can(request, access.DASHBOARD):
        return []
    shop_settings = MailchimpShopSettings.objects.filter(shop=shop).first()
    has_key = bool(shop_settings and shop_settings.api_key)
    has_audience = bool(shop_settings and shop_settings.audience_id)
    initialized = bool(shop_settings and shop_settings.is_initialized)
    dashboard = dashboard_url(shop)
    init_url = reverse("shuup_admin:shuup_mailchimp.initialize_store", kwargs={"shop_pk": shop.pk})
    return [
        SimpleHelpBlock(
            _("Connect Mailchimp: paste your API key"),
            description=_("Mailchimp: Profile > Extras > API keys. Paste it on the shop's Mailchimp tab."),
            actions=[{"text": _("Open the Mailchimp tab"), "url": settings_url(shop)}],
            icon_url="shuup_admin/img/configure.png", done=has_key, required=False, priority=100,
            category=HelpBlockCategory.CONTACTS),
        SimpleHelpBlock(
            _("Choose the Mailchimp audience"),
            description=_("Enter the audience (list) id on the same tab and tick Enabled; saving checks both."),
            actions=[{"text": _("Choose audience"), "url": settings_url(shop)}],
            icon_url="shuup_admin/img/configure.png", done=has_audience, required=False, priority=101,
            category=HelpBlockCategory.CONTACTS),
        SimpleHelpBlock(
            _("Initialize the Mailchimp store"),
            description=_("Creates the eCommerce store and the contact group interests, then sends the shop's "
                          "customers, groups, products and orders."),
            actions=[{"method": "POST", "text": _("Initialize store"), "url": init_url,
                      "data": {"next": dashboard}}] if has_key and has_audience else
                    [{"text": _("Mailchimp dashboard"), "url": dashboard}],
            icon_url="shuup_admin/img/configure.png", done=initialized, required=False, priority=102,
            category=HelpBlockCategory.CONTACTS),
    ]
