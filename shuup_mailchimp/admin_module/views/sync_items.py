"""Picotable list of the current shop's outbox items, with a "Resend failed items" mass action."""
from django.utils.translation import ugettext_lazy as _
from shuup.admin.shop_provider import get_shop
from shuup.admin.toolbar import PostActionButton, Toolbar, URLActionButton
from shuup.admin.utils.picotable import ChoicesFilter, Column, DateRangeFilter
from shuup.admin.utils.views import PicotableListView
from shuup.utils.django_compat import reverse

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem


class SyncItemListView(PicotableListView):
    model = MailchimpSyncItem
    template_name = "shuup_mailchimp/admin/sync_items.jinja"
    url_identifier = "shuup_mailchimp.sync_items"
    mass_actions = ["shuup_mailchimp.admin_module.mass_actions:ResendSyncItemsAction"]
    default_columns = [
        Column("kind", _("Kind"), filter_config=ChoicesFilter(SyncKind.choices())),
        Column("object_id", _("Object id")),
        Column("status", _("Status"), filter_config=ChoicesFilter(SyncStatus.choices())),
        Column("attempts", _("Attempts")),
        Column("next_attempt_at", _("Next attempt"), filter_config=DateRangeFilter()),
        Column("last_error", _("Last error"), display="format_last_error", sort_field="last_error_title",
               linked=False),
        Column("note", _("Note"), linked=False),
        Column("synced_on", _("Last synced"), filter_config=DateRangeFilter()),
    ]

    def get_queryset(self):
        return MailchimpSyncItem.objects.filter(shop=get_shop(self.request)).order_by("-modified_on", "-pk")

    def format_last_error(self, instance):
        from shuup_mailchimp.enums import ErrorKind

        kind = instance.last_error_kind
        if instance.last_error and kind and kind != ErrorKind.MAILCHIMP:
            return "[%s] %s" % (kind.label, instance.last_error)  # our side, not Mailchimp's answer
        return instance.last_error

    def get_object_url(self, instance):
        return None  # no detail page: the row says everything

    def get_object_abstract(self, instance, item):
        return [
            {"text": "%s #%s" % (item["kind"], item["object_id"]), "class": "header"},
            {"title": _("Status"), "text": item["status"]},
            {"title": _("Last error"), "text": item["last_error"]},
        ]

    def get_toolbar(self):
        return Toolbar([
            PostActionButton(
                post_url=reverse("shuup_admin:shuup_mailchimp.resend_failed"),
                form_id="mailchimp-resend-failed",
                text=_("Resend all failed"),
                icon="fa fa-repeat",
                extra_css_class="btn-primary",
            ),
            URLActionButton("shuup_admin:shuup_mailchimp.overview", text=_("Overview"), icon="fa fa-envelope",
                            extra_css_class="btn-inverse"),
        ])
