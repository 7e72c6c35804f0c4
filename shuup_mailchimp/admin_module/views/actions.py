"""The actions on a shop's integration. Each is a POST (with Django's CSRF check) that does one
thing, says truthfully what happened, and goes back (``next``, else the shop's dashboard).

Check connection and Initialize store talk to Mailchimp inside the request: the user asked for
exactly that and waits for the answer. Resending never does: it only queues (``resend``).
"""
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import ugettext as _
from django.views.generic import View
from shuup.core.models import Contact

from shuup_mailchimp.admin_module.explain import explain, explain_report
from shuup_mailchimp.admin_module.resend import kick, queue_contact, queued_message, resend_failed_items
from shuup_mailchimp.admin_module.views.base import ShopScopedMixin, dashboard_url, safe_next
from shuup_mailchimp.call_log import log_configuration
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.exceptions import MailchimpError
from shuup_mailchimp.models import MailchimpSyncItem
from shuup_mailchimp.sync.connection import check_connection
from shuup_mailchimp.sync.store import initialize_store


class _ShopActionView(ShopScopedMixin, View):
    """POST only; runs :meth:`act` for the shop in the URL, then redirects."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.act(request)
        return HttpResponseRedirect(safe_next(request, dashboard_url(self.shop)))

    def act(self, request):
        raise NotImplementedError


class CheckConnectionView(_ShopActionView):
    def act(self, request):
        from shuup_mailchimp.client import api_base_url

        shop_settings = self.settings_or_new()
        report = check_connection(shop_settings)
        base = api_base_url(shop_settings.api_key) if shop_settings.api_key else ""
        lines = explain_report(report, base)
        (messages.success if report.ok else messages.error)(request, " ".join(lines))


class InitializeStoreView(_ShopActionView):
    def act(self, request):
        try:
            summary = initialize_store(self.settings_or_new())
        except MailchimpError as exc:
            explained = explain(exc.status, exc.title, exc.detail)
            messages.error(request, _("Initialize store failed: %(what)s %(advice)s") % {
                "what": explained.one_line(), "advice": explained.advice})
        except ImproperlyConfigured:  # no key / audience yet
            messages.error(request, _("Initialize store failed: enter the API key and the audience id of this "
                                      "shop first (its Mailchimp tab)."))
        else:
            text = _("Store %(store_id)s %(action)s on audience %(audience_id)s, with %(interests)d contact group "
                     "interest(s).") % {
                "store_id": summary["store_id"], "audience_id": summary["audience_id"],
                "interests": summary["interests"],
                "action": _("created") if summary["store_action"] == "created" else _("updated")}
            pending = list(MailchimpSyncItem.objects.filter(shop=self.shop, status=SyncStatus.PENDING)
                           .values_list("pk", flat=True))
            if pending:
                kick(pending)  # queued by the initialization: tell the worker now, not at the next save
                text += " " + queued_message(len(pending), again=False)
            messages.success(request, text)


class ResendFailedView(_ShopActionView):
    """Resend every failed item of the shop, or those posted as ``ids`` (the item page, the contact section)."""

    def act(self, request):
        ids = request.POST.getlist("ids")
        selection = [int(i) for i in ids if i.isdigit()] if ids else None
        count = resend_failed_items(self.shop.pk, ids=selection)
        if count:
            messages.success(request, queued_message(count))
        else:
            messages.info(request, _("There are no failed items to resend."))


class DisconnectView(_ShopActionView):
    """Stop syncing: the switch goes off. Key, audience, store and history stay (Mailchimp keeps its store)."""

    def act(self, request):
        shop_settings = self.shop_settings
        if shop_settings is None or not shop_settings.enabled:
            messages.info(request, _("Syncing with Mailchimp is already off for this shop."))
            return
        shop_settings.enabled = False
        shop_settings.save()
        log_configuration(shop_settings, "the admin (Disconnect)", ["enabled"])
        waiting = MailchimpSyncItem.objects.filter(shop=self.shop, status=SyncStatus.PENDING).count()
        text = _("Syncing with Mailchimp is off for %(shop)s. The Mailchimp store and its data stay in Mailchimp; "
                 "enable syncing again on the shop's Mailchimp tab.") % {"shop": self.shop.name}
        if waiting:
            text += " " + _("%(n)d item(s) that were waiting will not be sent; resend them after enabling.") % {
                "n": waiting}
        messages.warning(request, text)


class QueueContactView(_ShopActionView):
    """The contact section's "Send to Mailchimp" for a contact that has no sync item in this shop yet."""

    def act(self, request):
        contact = get_object_or_404(Contact, pk=request.POST.get("contact"))
        if not contact.shops.filter(pk=self.shop.pk).exists() and contact.registration_shop_id != self.shop.pk:
            raise Http404(_("This contact is not a customer of this shop."))
        if not (self.shop_settings and self.shop_settings.is_active):
            messages.error(request, _("Syncing with Mailchimp is off for this shop: nothing was queued."))
            return
        existing = MailchimpSyncItem.objects.filter(shop=self.shop, kind=SyncKind.CONTACT, object_id=contact.pk)
        if existing.exists():
            messages.info(request, _("This contact is already on its way to Mailchimp (or there)."))
            return
        messages.success(request, queued_message(queue_contact(self.shop.pk, contact.pk), again=False))
