"""A shop's full sync in the admin: "Schedule sync", a progress page that updates itself, the history.

- ``mailchimp/shop/<id>/full-sync/``: the page (the latest run's progress, past runs, the button);
- ``.../full-sync/schedule/`` (POST): queue a full sync. It runs outside the request (a Celery
  task, or a background thread without a broker); the page then says "A sync job has been added
  to the queue. Check progress." A second one while one is queued or running is refused (a
  unique column in the database decides, see ``models/full_sync.py``);
- ``.../full-sync/progress.json``: what the page's script polls every two seconds.
"""
from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.utils.translation import ugettext as _
from django.utils.translation import ugettext_lazy
from django.views.generic import TemplateView, View
from shuup.utils.django_compat import reverse

from shuup_mailchimp.admin_module.views.base import ShopScopedMixin, dashboard_url
from shuup_mailchimp.models import MailchimpFullSync
from shuup_mailchimp.sync import fullsync
from shuup_mailchimp.sync.fullsync.runs import history, progress

SCHEDULED = ugettext_lazy("A sync job has been added to the queue. Check progress.")
SCHEDULED_LEAD = ugettext_lazy("A sync job has been added to the queue.")


def page_url(shop):
    return reverse("shuup_admin:shuup_mailchimp.full_sync", kwargs={"shop_pk": shop.pk})


def _row(run):
    data = progress(run)
    return {key: data[key] for key in ("id", "status", "status_label", "phase", "requested_by", "created_on",
                                       "finished_on", "elapsed_seconds", "done", "total", "failed", "requests",
                                       "error")}


class FullSyncView(ShopScopedMixin, TemplateView):
    template_name = "shuup_mailchimp/admin/full_sync.jinja"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        runs = history(self.shop.pk)
        scheduled = self.request.GET.get("scheduled")
        context.update(
            title=_("Full sync of %s with Mailchimp") % self.shop.name,
            shop=self.shop,
            shop_settings=self.shop_settings,
            latest=progress(runs[0]) if runs else None,
            history=[_row(run) for run in runs],
            scheduled=bool(scheduled and runs and str(runs[0].pk) == scheduled),
            scheduled_text=SCHEDULED_LEAD,
            schedule_url=reverse("shuup_admin:shuup_mailchimp.full_sync_schedule", kwargs={"shop_pk": self.shop.pk}),
            progress_url=reverse("shuup_admin:shuup_mailchimp.full_sync_progress", kwargs={"shop_pk": self.shop.pk}),
            dashboard_url=dashboard_url(self.shop),
            can_schedule=bool(self.shop_settings and self.shop_settings.is_active),
        )
        return context


class FullSyncScheduleView(ShopScopedMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not (self.shop_settings and self.shop_settings.is_active):
            messages.error(request, _("Enable the integration and enter the API key and audience of this shop "
                                      "first (its Mailchimp tab)."))
            return HttpResponseRedirect(page_url(self.shop))
        who = getattr(request.user, "get_username", lambda: "")()
        try:
            run = fullsync.schedule(self.shop.pk, requested_by="admin: %s" % who)
        except fullsync.FullSyncBusy as exc:
            messages.error(request, "%s %s" % (exc, _("Its progress is below.")))
            return HttpResponseRedirect(page_url(self.shop))
        messages.success(request, SCHEDULED)
        return HttpResponseRedirect("%s?scheduled=%s#progress" % (page_url(self.shop), run.pk))


class FullSyncProgressView(ShopScopedMixin, View):
    """JSON: the run asked for (``?run=<id>``) or the latest, and the history's rows."""

    def get(self, request, *args, **kwargs):
        runs = MailchimpFullSync.objects.filter(shop=self.shop)
        run_id = request.GET.get("run")
        run = runs.filter(pk=run_id).first() if run_id and run_id.isdigit() else runs.order_by("-pk").first()
        return JsonResponse({
            "run": progress(run) if run is not None else None,
            "history": [_row(r) for r in history(self.shop.pk)],
        })
