"""Shared pieces of the Mailchimp admin views: the shop in the URL, and where actions go back to."""
from django.utils.http import is_safe_url
from shuup.utils.django_compat import NoReverseMatch, reverse

from shuup_mailchimp.admin_module.access import shop_or_404
from shuup_mailchimp.models import MailchimpShopSettings


def dashboard_url(shop):
    return reverse("shuup_admin:shuup_mailchimp.dashboard", kwargs={"shop_pk": shop.pk})


def items_url(shop, **filters):
    url = reverse("shuup_admin:shuup_mailchimp.sync_items", kwargs={"shop_pk": shop.pk})
    if filters:
        from django.utils.http import urlencode

        url += "?" + urlencode({k: getattr(v, "value", v) for k, v in filters.items()})
    return url


def settings_url(shop):
    """The Mailchimp tab of the shop's edit page."""
    return reverse("shuup_admin:shop.edit", kwargs={"pk": shop.pk}) + "#mailchimp-settings"


def full_sync_url(shop, request=None):
    """The "Schedule sync" page of the full sync, when it is installed (``views/full_sync.py``).

    A page of the admin's current shop (no shop in its URL) is offered for that shop only.
    """
    for kwargs in ({"shop_pk": shop.pk}, {"pk": shop.pk}):
        try:
            return reverse("shuup_admin:shuup_mailchimp.full_sync", kwargs=kwargs)
        except NoReverseMatch:
            continue
    if request is not None:
        from shuup.admin.shop_provider import get_shop

        current = get_shop(request)
        if current is not None and current.pk == shop.pk:
            try:
                return reverse("shuup_admin:shuup_mailchimp.full_sync")
            except NoReverseMatch:
                pass
    return ""


def safe_next(request, default):
    """Where to go after an action: ``next`` when it is a page of this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and is_safe_url(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


class ShopScopedMixin:
    """Views under ``mailchimp/shop/<shop_pk>/``: 404 for a shop the user is not staff of."""

    def dispatch(self, request, *args, **kwargs):
        self.shop = shop_or_404(request, kwargs["shop_pk"])
        # Looking must not create a settings row: the shop's edit page or an action does.
        self.shop_settings = MailchimpShopSettings.objects.filter(shop=self.shop).first()
        return super().dispatch(request, *args, **kwargs)

    def settings_or_new(self):
        return self.shop_settings or MailchimpShopSettings(shop=self.shop)
