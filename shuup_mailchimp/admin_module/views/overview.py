"""The Mailchimp overview of the current shop: settings summary, outbox counts and action buttons."""
from django.utils.translation import ugettext_lazy as _
from django.views.generic import TemplateView
from shuup.admin.shop_provider import get_shop
from shuup.admin.toolbar import Toolbar, URLActionButton
from shuup.utils.django_compat import reverse

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpShopSettings
from shuup_mailchimp.sync.outbox import status_counts, waiting


def shop_settings_url(shop):
    """The Mailchimp tab of the shop's edit page."""
    return reverse("shuup_admin:shop.edit", kwargs={"pk": shop.pk}) + "#mailchimp-settings"


def count_table(shop_id):
    """Rows of (kind, [count per status], total) for every kind, zeros included."""
    counts = status_counts(shop_id)
    rows = []
    for kind in SyncKind:
        cells = [counts.get((kind, status), 0) for status in SyncStatus]
        rows.append((kind, cells, sum(cells)))
    return rows


class MailchimpOverviewView(TemplateView):
    template_name = "shuup_mailchimp/admin/overview.jinja"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shop = get_shop(self.request)
        # Looking must not create a settings row; the shop's edit page does when saved.
        shop_settings = MailchimpShopSettings.objects.filter(shop=shop).first()
        rows = count_table(shop.pk)
        waiting_count, next_attempt_at = waiting(shop.pk)
        context.update(
            title=_("Mailchimp"),
            shop=shop,
            shop_settings=shop_settings,
            settings_url=shop_settings_url(shop),
            statuses=list(SyncStatus),
            count_rows=rows,
            failed_total=sum(cells[list(SyncStatus).index(SyncStatus.FAILED)] for _kind, cells, _total in rows),
            toolbar=self.get_toolbar(shop),
            waiting_count=waiting_count,
            next_attempt_at=next_attempt_at,
        )
        return context

    def get_toolbar(self, shop):
        return Toolbar([
            URLActionButton(shop_settings_url(shop), text=_("Settings"), icon="fa fa-cog",
                            extra_css_class="btn-primary"),
            URLActionButton("shuup_admin:shuup_mailchimp.sync_items", text=_("Sync items"), icon="fa fa-exchange",
                            extra_css_class="btn-inverse"),
            URLActionButton("shuup_admin:shuup_mailchimp.log", text=_("Log"), icon="fa fa-list",
                            extra_css_class="btn-inverse"),
        ])
