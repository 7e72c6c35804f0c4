"""The shop in the URL (a shop the user is staff of, else 404) and the links between the pages."""
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import ugettext as _
from django.views.generic import View
from shuup.utils.django_compat import NoReverseMatch, reverse

from shuup_mailchimp.admin_module.access import shop_or_404, visible_shops
from shuup_mailchimp.models import MailchimpShopSettings


def shop_url(name, shop, **kwargs):
    return reverse("shuup_admin:%s" % name, kwargs=dict(kwargs, shop_pk=shop.pk))


def settings_url(shop):
    """The Mailchimp tab of the shop's edit page."""
    return reverse("shuup_admin:shop.edit", kwargs={"pk": shop.pk}) + "#mailchimp-settings"


def dashboard_url(shop):
    """The shop's Mailchimp dashboard (the main Mailchimp module), when it is installed."""
    try:
        return reverse("shuup_admin:shuup_mailchimp.dashboard", kwargs={"shop_pk": shop.pk})
    except NoReverseMatch:
        return ""


class ShopPageMixin:
    """Views under ``mailchimp/shop/<shop_pk>/``: 404 for a shop the user is not staff of."""

    def dispatch(self, request, *args, **kwargs):
        self.shop = shop_or_404(request, kwargs["shop_pk"])
        # Looking must not create a settings row.
        self.shop_settings = MailchimpShopSettings.objects.filter(shop=self.shop).first()
        return super().dispatch(request, *args, **kwargs)


class CurrentShopRedirect(View):
    """A menu entry: the page of the admin's current shop (else the first shop the user may see)."""

    page = ""

    def get(self, request, *args, **kwargs):
        from shuup.admin.shop_provider import get_shop

        shops = visible_shops(request.user)
        current = get_shop(request)
        shop = shops.filter(pk=current.pk).first() if current is not None else None
        shop = shop or shops.first()
        if shop is None:
            raise Http404(_("You are not staff of any shop."))
        return HttpResponseRedirect(shop_url(self.page, shop))
