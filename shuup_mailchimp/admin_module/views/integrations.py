"""The integrations grid (one row per shop the user may see) and a shop's Mailchimp dashboard."""
import json

from django.utils.translation import ugettext as _
from django.utils.translation import ugettext_lazy
from django.views.generic import TemplateView
from shuup.admin.dashboard.charts import BarChart, ChartType
from shuup.admin.toolbar import (
    DropdownActionButton,
    DropdownDivider,
    DropdownItem,
    PostActionButton,
    PostActionDropdownItem,
    Toolbar,
    URLActionButton,
)
from shuup.utils.django_compat import reverse

from shuup_mailchimp.admin_module import access
from shuup_mailchimp.admin_module.explain import explain_item
from shuup_mailchimp.admin_module.health import activity, count_rows, latest_errors, shop_health
from shuup_mailchimp.admin_module.objects import labels_for
from shuup_mailchimp.admin_module.views.base import (
    ShopScopedMixin,
    dashboard_url,
    full_sync_url,
    items_url,
    settings_url,
)
from shuup_mailchimp.enums import SyncStatus

#: The id of the (empty) form the action buttons post through; it carries the CSRF token.
ACTION_FORM = "mailchimp-action-form"


def _action(name, shop):
    return reverse("shuup_admin:shuup_mailchimp.%s" % name, kwargs={"shop_pk": shop.pk})


def shop_actions(request, shop, health, compact=False):
    """The actions on one shop's integration, as Shuup toolbar buttons (POST where they change state)."""
    not_configured = None if health.configured else _("Enter the API key and audience first.")
    items = [
        DropdownItem(url=settings_url(shop), text=_("Edit settings"), icon="fa fa-pencil",
                     required_permissions=("shop.edit", access.EDIT_SETTINGS)),
        PostActionDropdownItem(post_url=_action("check_connection", shop), form_id=ACTION_FORM,
                               text=_("Check connection"), icon="fa fa-plug",
                               required_permissions=(access.CHECK_CONNECTION,), disable_reason=not_configured),
        PostActionDropdownItem(post_url=_action("initialize_store", shop), form_id=ACTION_FORM,
                               text=_("Initialize store"), icon="fa fa-shopping-cart",
                               required_permissions=(access.INITIALIZE_STORE,), disable_reason=not_configured),
    ]
    sync_url = full_sync_url(shop, request)
    if sync_url:
        full_sync = getattr(access, "FULL_SYNC", None)
        items.append(DropdownItem(url=sync_url, text=_("Schedule sync"), icon="fa fa-refresh",
                                  required_permissions=(full_sync,) if full_sync else ()))
    if health.failed:
        items.append(PostActionDropdownItem(post_url=_action("resend_failed", shop), form_id=ACTION_FORM,
                                            text=_("Resend all failed (%d)") % health.failed, icon="fa fa-repeat",
                                            required_permissions=(access.RESEND,)))
    if health.enabled:
        items += [
            DropdownDivider(),
            PostActionDropdownItem(
                post_url=_action("disconnect", shop), form_id=ACTION_FORM, text=_("Disconnect"),
                icon="fa fa-chain-broken", required_permissions=(access.DISCONNECT,),
                confirm=_("Stop syncing %(shop)s with Mailchimp? The Mailchimp store, its customers and orders "
                          "stay in Mailchimp, the API key stays saved, and you can enable syncing again on the "
                          "shop's Mailchimp tab.") % {"shop": shop.name}),
        ]
    return DropdownActionButton(items, text=_("Actions"), icon="fa fa-cog",
                                extra_css_class="btn-inverse btn-sm" if compact else "btn-inverse")


class IntegrationsView(TemplateView):
    """OroCRM's "Manage integrations": every shop with its connection, store, last sync and counts."""

    template_name = "shuup_mailchimp/admin/integrations.jinja"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for shop in access.visible_shops(self.request.user):
            health = shop_health(shop)
            rows.append({"shop": shop, "health": health, "dashboard_url": dashboard_url(shop),
                         "failed_url": items_url(shop, status=SyncStatus.FAILED),
                         "pending_url": items_url(shop, status=SyncStatus.PENDING),
                         "actions": shop_actions(self.request, shop, health, compact=True)})
        context.update(title=ugettext_lazy("Mailchimp integrations"), rows=rows, action_form=ACTION_FORM,
                       toolbar=Toolbar([]))
        return context


class ShopDashboardView(ShopScopedMixin, TemplateView):
    """One shop: health in words, counts per kind and status, activity, the latest errors."""

    template_name = "shuup_mailchimp/admin/shop_dashboard.jinja"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shop = self.shop
        health = shop_health(shop)
        labels, sent, failed, received = activity(shop)
        top = max(sent + failed + received + [1])
        chart = BarChart(_("Mailchimp writes per day"), labels, options={
            "scales": {"yAxes": [{"ticks": {"beginAtZero": True, "stepSize": max(1, -(-top // 8))}}]}})
        chart.add_data(_("sent"), sent, ChartType.BAR)
        chart.add_data(_("failed"), failed, ChartType.BAR)
        if any(received):
            chart.add_data(_("webhooks received"), received, ChartType.BAR)
        errors = latest_errors(shop)
        object_labels = labels_for(errors, self.request.user, shop)
        context.update(
            title=_("Mailchimp: %(shop)s") % {"shop": shop.name},
            shop=shop,
            shop_settings=self.shop_settings,
            health=health,
            statuses=list(SyncStatus),
            count_rows=count_rows(health.counts),
            items_url=lambda **filters: items_url(shop, **filters),
            settings_url=settings_url(shop),
            log_url=reverse("shuup_admin:shuup_mailchimp.log", kwargs={"shop_pk": shop.pk}),
            chart_config=json.dumps(chart.get_config(), default=str),
            activity_total=sum(sent) + sum(failed) + sum(received),
            errors=[(item, object_labels[(item.kind, item.object_id)], explain_item(item)) for item in errors],
            item_url=lambda item: reverse("shuup_admin:shuup_mailchimp.sync_item",
                                          kwargs={"shop_pk": shop.pk, "pk": item.pk}),
            action_form=ACTION_FORM,
            can_resend=access.can(self.request, access.RESEND),
            resend_url=_action("resend_failed", shop),
            toolbar=self.get_toolbar(health),
        )
        return context

    def get_toolbar(self, health):
        shop = self.shop
        buttons = []
        if not health.initialized and health.configured:
            buttons.append(PostActionButton(
                post_url=_action("initialize_store", shop), form_id=ACTION_FORM, text=_("Initialize store"),
                icon="fa fa-shopping-cart", extra_css_class="btn-primary",
                required_permissions=(access.INITIALIZE_STORE,)))
        if health.failed:
            buttons.append(PostActionButton(
                post_url=_action("resend_failed", shop), form_id=ACTION_FORM,
                text=_("Resend all failed (%d)") % health.failed, icon="fa fa-repeat", extra_css_class="btn-primary",
                required_permissions=(access.RESEND,)))
        buttons += [
            URLActionButton(items_url(shop), text=_("Sync items"), icon="fa fa-exchange",
                            extra_css_class="btn-inverse", required_permissions=(access.SYNC_ITEMS,)),
            URLActionButton(reverse("shuup_admin:shuup_mailchimp.log", kwargs={"shop_pk": shop.pk}), text=_("Log"),
                            icon="fa fa-list", extra_css_class="btn-inverse", required_permissions=(access.LOG,)),
            shop_actions(self.request, shop, health),
        ]
        return Toolbar(buttons)
