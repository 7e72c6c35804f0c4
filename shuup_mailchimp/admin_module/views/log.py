"""Picotable list of the current shop's Mailchimp call and process log."""
from django.utils.translation import ugettext
from django.utils.translation import ugettext_lazy as _
from shuup.admin.shop_provider import get_shop
from shuup.admin.utils.picotable import ChoicesFilter, Column, DateRangeFilter, TextFilter
from shuup.admin.utils.views import PicotableListView

from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.models import MailchimpLogEntry

#: "Errors only" is the first thing one looks for, so it is the first choice after "all".
SUCCESS_CHOICES = [(False, _("errors only")), (True, _("successes only"))]


class LogEntryListView(PicotableListView):
    model = MailchimpLogEntry
    url_identifier = "shuup_mailchimp.log"
    default_columns = [
        Column("created_on", _("Time"), filter_config=DateRangeFilter()),
        Column("operation", _("Operation"), filter_config=TextFilter(placeholder=_("Filter by operation..."))),
        Column("method", _("Method")),
        Column("path", _("Path"), filter_config=TextFilter(placeholder=_("Filter by path..."))),
        Column("status_code", _("Status")),
        Column("duration_ms", _("Duration (ms)")),
        Column("success", _("Success"), display="format_success", sort_field="success",
               filter_config=ChoicesFilter(SUCCESS_CHOICES, filter_field="success")),
        Column("error_title", _("Error"), filter_config=TextFilter(placeholder=_("Filter by error..."))),
        Column("error_detail", _("Error detail"), linked=False),
        Column("object_kind", _("Object"), filter_config=ChoicesFilter(SyncKind.choices())),
        Column("object_id", _("Object id")),
        Column("message", _("Message"), linked=False),
    ]

    def get_queryset(self):
        return MailchimpLogEntry.objects.filter(shop=get_shop(self.request))

    def format_success(self, instance):
        # Shuup's Column renders False as an empty cell; an error row must say so.
        return ugettext("yes") if instance.success else ugettext("no")

    def get_object_url(self, instance):
        return None  # append-only rows: nothing to edit

    def get_object_abstract(self, instance, item):
        return [
            {"text": "%s %s" % (item["created_on"], item["operation"]), "class": "header"},
            {"title": _("Status"), "text": item["status_code"]},
            {"title": _("Error"), "text": item["error_title"]},
        ]
