"""The overview's buttons: each is a POST that does one thing, says what happened, and goes back."""
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseRedirect
from django.utils.translation import ugettext as _
from django.views.generic import View
from shuup.admin.shop_provider import get_shop
from shuup.utils.django_compat import reverse

from shuup_mailchimp.admin_module.resend import resend_failed_items
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.models import MailchimpShopSettings
from shuup_mailchimp.sync.connection import check_connection
from shuup_mailchimp.sync.store import initialize_store


class _ShopActionView(View):
    """POST only; runs :meth:`act` for the current shop's settings, then redirects to the overview."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        shop = get_shop(request)
        self.act(request, MailchimpShopSettings.for_shop(shop))
        return HttpResponseRedirect(reverse("shuup_admin:shuup_mailchimp.overview"))

    def act(self, request, shop_settings):
        raise NotImplementedError


class CheckConnectionView(_ShopActionView):
    def act(self, request, shop_settings):
        report = check_connection(shop_settings)
        add = messages.success if report.ok else messages.error
        for line in report.lines():
            add(request, line)


class InitializeStoreView(_ShopActionView):
    def act(self, request, shop_settings):
        try:
            summary = initialize_store(shop_settings)
        except MailchimpError as exc:
            messages.error(request, _("Initialize store failed: %s") % exc.describe())
        except ImproperlyConfigured as exc:  # no key / audience yet
            messages.error(request, _("Initialize store failed: %s") % exc)
        else:
            messages.success(
                request,
                _("Store %(store_id)s %(store_action)s on audience %(audience_id)s; %(interests)d contact group "
                  "interest(s) in category %(category_id)s.") % summary,
            )


class ResendFailedView(_ShopActionView):
    def act(self, request, shop_settings):
        count = resend_failed_items(shop_settings.shop_id)
        if count:
            messages.success(request, _("%d failed item(s) queued for sending again.") % count)
        else:
            messages.info(request, _("There are no failed items to resend."))
