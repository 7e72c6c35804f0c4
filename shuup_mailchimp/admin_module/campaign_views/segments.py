"""Which contact groups a shop keeps as Mailchimp tags, and each tag's sync status with its counts."""
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.translation import ugettext as _
from django.views.generic import TemplateView, View
from shuup.utils.django_compat import NoReverseMatch, reverse

from shuup_mailchimp.admin_module.campaign_views.base import (
    CurrentShopRedirect,
    ShopPageMixin,
    dashboard_url,
    settings_url,
    shop_url,
)
from shuup_mailchimp.app_settings import app_settings
from shuup_mailchimp.sync import segments


class SegmentsHomeView(CurrentShopRedirect):
    page = "shuup_mailchimp.segments"


class SegmentsView(ShopPageMixin, TemplateView):
    template_name = "shuup_mailchimp/admin/campaigns/segments.jinja"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shop = self.shop
        rows = segments.group_statuses(shop.pk)
        chosen = [r for r in rows if r.chosen]
        totals = {"synced": 0, "pending": 0, "failed": 0}
        for row in chosen:
            totals[row.status] = totals.get(row.status, 0) + 1
        try:
            groups_url = reverse("shuup_admin:contact_group.list")
        except NoReverseMatch:
            groups_url = ""
        context.update(
            title=_("Mailchimp tags: %(shop)s") % {"shop": shop.name},
            shop=shop, shop_settings=self.shop_settings, rows=rows, chosen_count=len(chosen), totals=totals,
            active=bool(self.shop_settings and self.shop_settings.is_active),
            delete_unchosen=app_settings.DELETE_UNCHOSEN_TAGS,
            save_url=shop_url("shuup_mailchimp.segments.save", shop),
            sync_url=shop_url("shuup_mailchimp.segments.sync", shop),
            campaigns_url=shop_url("shuup_mailchimp.campaigns", shop),
            settings_url=settings_url(shop), dashboard_url=dashboard_url(shop), groups_url=groups_url,
        )
        return context


class SaveSegmentsView(ShopPageMixin, View):
    """POST ``group`` (repeated): exactly these groups are the shop's tags."""

    def post(self, request, *args, **kwargs):
        ids = [int(v) for v in request.POST.getlist("group") if v.isdigit()]
        added, removed = segments.choose_groups(self.shop, ids)
        if added or removed:
            messages.success(request, _("Saved: %(added)d group(s) now kept as tags, %(removed)d no longer. "
                                        "Mailchimp follows in the background.") % {
                "added": len(added), "removed": len(removed)})
        else:
            messages.info(request, _("Nothing changed."))
        return HttpResponseRedirect(shop_url("shuup_mailchimp.segments", self.shop))


class SyncSegmentsView(ShopPageMixin, View):
    """POST: queue every tag of the shop to be checked and sent (costs no call for an unchanged tag)."""

    def post(self, request, *args, **kwargs):
        if not (self.shop_settings and self.shop_settings.is_active):
            messages.error(request, _("Syncing is off for this shop: enable it on the shop's Mailchimp tab first."))
        else:
            from shuup_mailchimp.tasks import schedule

            keys = segments.record_all(self.shop.pk)
            if keys:
                transaction.on_commit(lambda: schedule(keys))
            messages.success(request, _("%(count)d tag(s) queued.") % {"count": len(keys)})
        return HttpResponseRedirect(shop_url("shuup_mailchimp.segments", self.shop))
