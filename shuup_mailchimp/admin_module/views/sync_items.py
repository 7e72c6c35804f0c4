"""A shop's sync items: Picotable list (object, status, error in words) and one item's page
(the full error, what would be sent, attempts, resend)."""
from django.utils.html import escape, format_html
from django.utils.translation import ugettext as _
from django.utils.translation import ugettext_lazy
from django.views.generic import DetailView
from shuup.admin.toolbar import PostActionButton, Toolbar, URLActionButton
from shuup.admin.utils.picotable import ChoicesFilter, Column, DateRangeFilter, TextFilter
from shuup.admin.utils.views import PicotableListView
from shuup.utils.django_compat import reverse
from shuup.utils.i18n import get_locally_formatted_datetime

from shuup_mailchimp.admin_module import access
from shuup_mailchimp.admin_module.explain import explain_item, note_text
from shuup_mailchimp.admin_module.health import last_sent_at
from shuup_mailchimp.admin_module.objects import label_for, labels_for, matching_objects
from shuup_mailchimp.admin_module.payload import as_json, preview
from shuup_mailchimp.admin_module.views.base import ShopScopedMixin, dashboard_url, items_url
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem

STATUS_CLASSES = {
    SyncStatus.SYNCED: "badge-success",
    SyncStatus.FAILED: "badge-danger",
    SyncStatus.PENDING: "badge-warning",
    SyncStatus.PROCESSING: "badge-info",
}
ACTION_FORM = "mailchimp-action-form"


class ObjectFilter(TextFilter):
    """Name, email, SKU, order identifier or id of the item's Shuup object."""

    def filter_queryset(self, queryset, column, value, context):
        return queryset.filter(matching_objects(value)) if value else queryset


def status_badge(item):
    return format_html('<span class="badge {}">{}</span>', STATUS_CLASSES.get(item.status, ""), item.status.label)


class SyncItemListView(ShopScopedMixin, PicotableListView):
    model = MailchimpSyncItem
    template_name = "shuup_mailchimp/admin/sync_items.jinja"
    url_identifier = "shuup_mailchimp.sync_items"
    mass_actions = ["shuup_mailchimp.admin_module.mass_actions:ResendSyncItemsAction"]
    default_columns = [
        Column("kind", ugettext_lazy("Kind"), display="format_kind", sort_field="kind",
               filter_config=ChoicesFilter(SyncKind.choices()), class_name="mc-col-kind"),
        Column("object", ugettext_lazy("Object"), display="format_object", sortable=False, raw=True, linked=False,
               filter_config=ObjectFilter(placeholder=ugettext_lazy("Name, email, SKU, order...")),
               class_name="mc-col-object"),
        Column("status", ugettext_lazy("Status"), display="format_status", sort_field="status", raw=True,
               filter_config=ChoicesFilter(SyncStatus.choices()), class_name="mc-col-status"),
        Column("attempts", ugettext_lazy("Attempts"), class_name="mc-col-num"),
        Column("next_attempt_at", ugettext_lazy("Next attempt"), display="format_next_attempt",
               sort_field="next_attempt_at", filter_config=DateRangeFilter(), class_name="mc-col-time"),
        Column("last_error", ugettext_lazy("Error / note"), display="format_error", sort_field="last_error_title",
               raw=True, class_name="mc-col-error"),
        Column("synced_on", ugettext_lazy("Last synced"), filter_config=DateRangeFilter(), class_name="mc-col-time"),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._labels = {}

    def get_queryset(self):
        qs = MailchimpSyncItem.objects.filter(shop=self.shop).order_by("-modified_on", "-pk")
        params = self.request.GET
        if params.get("status") in {s.value for s in SyncStatus}:
            qs = qs.filter(status=SyncStatus(params["status"]))
        if params.get("kind") in {k.value for k in SyncKind}:
            qs = qs.filter(kind=SyncKind(params["kind"]))
        if params.get("object"):
            qs = qs.filter(matching_objects(params["object"]))
        return qs

    def process_picotable(self, query_json):
        """Load the objects of the requested page first: one query per kind, not one per row."""
        import json

        from django.core.paginator import EmptyPage, InvalidPage, Paginator

        query = json.loads(query_json)
        pico = self.picotable_class(request=self.request, columns=self.columns, mass_actions=[],
                                    queryset=self.get_queryset(), context=self)
        try:
            page = Paginator(pico.process_queryset(query), query["perPage"]).page(int(query["page"]))
            self._labels.update(labels_for(list(page), self.request.user, self.shop))
        except (EmptyPage, InvalidPage, KeyError, ValueError):
            pass
        return super().process_picotable(query_json)

    def label(self, item):
        key = (item.kind, item.object_id)
        if key not in self._labels:
            self._labels.update(labels_for([item], self.request.user, self.shop))
        return self._labels[key]

    def format_kind(self, item):
        return item.kind.label

    def format_object(self, item):
        label = self.label(item)
        name = format_html('<a href="{}">{}</a>', label.url, label.name) if label.url else escape(label.name)
        detail = format_html('<br><small class="text-muted">{}</small>', label.detail) if label.detail else ""
        return "%s%s" % (name, detail)

    def format_status(self, item):
        return status_badge(item)

    def format_next_attempt(self, item):
        if item.status == SyncStatus.PENDING and item.next_attempt_at and item.attempts:
            return get_locally_formatted_datetime(item.next_attempt_at)
        return ""

    def format_error(self, item):
        if item.last_error_title or item.last_error_detail:
            explained = explain_item(item)
            text = explained.headline + (" " + explained.message if explained.message else "")
            return format_html('<span class="mc-error" title="{}">{}</span>', text, text)
        note = note_text(item.note)
        if item.note == "unchanged" and item.kind == SyncKind.CONTACT:
            sent = last_sent_at(item)
            if sent:
                note = _("up to date; last change sent %(at)s") % {"at": get_locally_formatted_datetime(sent)}
        return format_html('<span class="text-muted mc-error" title="{}">{}</span>', note, note)

    def get_object_url(self, instance):
        return reverse("shuup_admin:shuup_mailchimp.sync_item", kwargs={"shop_pk": self.shop.pk, "pk": instance.pk})

    def get_object_abstract(self, instance, item):
        label = self.label(instance)
        return [
            {"text": "%s: %s" % (instance.kind.label, label.name), "class": "header"},
            {"title": _("Status"), "text": instance.status.label},
            {"title": _("Error"), "text": explain_item(instance).one_line() if instance.last_error_title else ""},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        active = [(name, self.request.GET[name]) for name in ("kind", "status", "object") if self.request.GET.get(name)]
        context.update(
            title=_("Mailchimp sync items: %(shop)s") % {"shop": self.shop.name},
            shop=self.shop,
            url_filters=active,
            all_url=items_url(self.shop),
            action_form=ACTION_FORM,
        )
        return context

    def get_toolbar(self):
        return Toolbar([
            PostActionButton(
                post_url=reverse("shuup_admin:shuup_mailchimp.resend_failed", kwargs={"shop_pk": self.shop.pk}),
                form_id=ACTION_FORM, text=_("Resend all failed"), icon="fa fa-repeat",
                extra_css_class="btn-primary", required_permissions=(access.RESEND,)),
            URLActionButton(dashboard_url(self.shop), text=_("Dashboard"), icon="fa fa-tachometer",
                            extra_css_class="btn-inverse", required_permissions=(access.DASHBOARD,)),
        ])


class SyncItemDetailView(ShopScopedMixin, DetailView):
    """One item: its object, status, the error explained with Mailchimp's full message, the attempts,
    what would be sent now, and Resend."""

    template_name = "shuup_mailchimp/admin/sync_item.jinja"
    context_object_name = "item"

    def get_queryset(self):
        return MailchimpSyncItem.objects.filter(shop=self.shop)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        shop_settings = self.settings_or_new()
        explained = explain_item(item) if (item.last_error_title or item.last_error_detail) else None
        context.update(
            title=_("%(kind)s: %(name)s") % {"kind": item.kind.label, "name": label_for(item).name},
            shop=self.shop,
            label=label_for(item, self.request.user, self.shop),
            status_badge=status_badge(item),
            explained=explained,
            note=note_text(item.note),
            last_sent_at=last_sent_at(item),
            previews=[(title, as_json(body)) for title, body in preview(item, shop_settings)],
            state_json=as_json(item.state) if item.state else "",
            action_form=ACTION_FORM,
            resend_url=reverse("shuup_admin:shuup_mailchimp.resend_failed", kwargs={"shop_pk": self.shop.pk}),
            can_resend=access.can(self.request, access.RESEND),
            log_url=reverse("shuup_admin:shuup_mailchimp.log", kwargs={"shop_pk": self.shop.pk}),
            toolbar=Toolbar([
                URLActionButton(items_url(self.shop), text=_("All sync items"), icon="fa fa-exchange",
                                extra_css_class="btn-inverse"),
            ]),
        )
        return context
