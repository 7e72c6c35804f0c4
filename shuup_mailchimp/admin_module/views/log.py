"""Picotable list of a shop's Mailchimp call and process log. Few, narrow columns: the whole error
fits in one, cut with an ellipsis and shown in full on hover (and in the mobile abstract)."""
from django.utils.html import format_html
from django.utils.translation import ugettext as _
from django.utils.translation import ugettext_lazy
from shuup.admin.toolbar import Toolbar, URLActionButton
from shuup.admin.utils.picotable import ChoicesFilter, Column, DateRangeFilter, TextFilter
from shuup.admin.utils.views import PicotableListView

from shuup_mailchimp.admin_module import access
from shuup_mailchimp.admin_module.explain import explain
from shuup_mailchimp.admin_module.views.base import ShopScopedMixin, dashboard_url
from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.models import MailchimpLogEntry

#: "Errors only" is the first thing one looks for, so it is the first choice after "all".
SUCCESS_CHOICES = [(False, ugettext_lazy("errors only")), (True, ugettext_lazy("successes only"))]


class LogEntryListView(ShopScopedMixin, PicotableListView):
    model = MailchimpLogEntry
    template_name = "shuup_mailchimp/admin/log.jinja"
    url_identifier = "shuup_mailchimp.log"
    default_columns = [
        Column("created_on", ugettext_lazy("Time"), filter_config=DateRangeFilter(), class_name="mc-col-time"),
        Column("operation", ugettext_lazy("Operation"), display="format_operation", sort_field="operation",
               filter_config=TextFilter(placeholder=ugettext_lazy("Filter by operation..."),
                                        filter_field="operation"), class_name="mc-col-op"),
        Column("success", ugettext_lazy("Result"), display="format_success", sort_field="success", raw=True,
               filter_config=ChoicesFilter(SUCCESS_CHOICES, filter_field="success"), class_name="mc-col-status"),
        Column("object_kind", ugettext_lazy("Object"), display="format_object", sort_field="object_kind",
               filter_config=ChoicesFilter([(k.value, k.label) for k in SyncKind]), class_name="mc-col-kind"),
        Column("error_title", ugettext_lazy("Error or message"), display="format_message", raw=True,
               sort_field="error_title", filter_config=TextFilter(placeholder=ugettext_lazy("Filter by error..."),
                                                                  filter_field="error_title"),
               class_name="mc-col-error"),
        Column("duration_ms", ugettext_lazy("ms"), class_name="mc-col-num"),
    ]

    def get_queryset(self):
        return MailchimpLogEntry.objects.filter(shop=self.shop)

    def format_operation(self, entry):
        if entry.method:
            return "%s (%s %s)" % (entry.operation, entry.method, entry.path)
        return entry.operation

    def format_success(self, entry):
        # Shuup's Column renders False as an empty cell; an error row must say so.
        if entry.success:
            text = str(entry.status_code) if entry.status_code else _("ok")
            return format_html('<span class="badge badge-success">{}</span>', text)
        text = str(entry.status_code) if entry.status_code else _("error")
        return format_html('<span class="badge badge-danger">{}</span>', text)

    def format_object(self, entry):
        if not entry.object_kind:
            return ""
        try:
            kind = SyncKind(entry.object_kind).label
        except ValueError:
            kind = entry.object_kind
        return "%s #%s" % (kind, entry.object_id) if entry.object_id else str(kind)

    def message_of(self, entry):
        if entry.success:
            return entry.message
        explained = explain(entry.status_code, entry.error_title, entry.error_detail)
        text = explained.headline + (" " + explained.message if explained.message else "")
        return "%s %s" % (text, entry.message) if entry.message else text

    def format_message(self, entry):
        text = self.message_of(entry)
        return format_html('<span class="mc-error" title="{}">{}</span>', text, text)

    def get_object_url(self, instance):
        return None  # append-only rows: nothing to edit

    def get_object_abstract(self, instance, item):
        return [
            {"text": "%s %s" % (item["created_on"], self.format_operation(instance)), "class": "header"},
            {"title": _("Result"), "text": "%s" % (instance.status_code or ("ok" if instance.success else "error"))},
            {"title": _("Message"), "text": self.message_of(instance)},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=_("Mailchimp log: %(shop)s") % {"shop": self.shop.name}, shop=self.shop)
        return context

    def get_toolbar(self):
        return Toolbar([
            URLActionButton(dashboard_url(self.shop), text=_("Dashboard"), icon="fa fa-tachometer",
                            extra_css_class="btn-inverse", required_permissions=(access.DASHBOARD,)),
        ])
