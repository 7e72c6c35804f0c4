"""Picotable mass actions of the sync item list."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import ugettext as _
from django.utils.translation import ugettext_lazy
from shuup.admin.utils.picotable import PicotableMassAction

from shuup_mailchimp.admin_module import access
from shuup_mailchimp.admin_module.resend import queued_message, resend_failed_items


class ResendSyncItemsAction(PicotableMassAction):
    """Queue the selected failed items (the others are skipped). Needs the resend permission, not
    only the list's: the list posts its mass actions to its own URL."""

    label = ugettext_lazy("Resend failed items")
    identifier = "mass_action_mailchimp_resend"

    def process(self, request, ids):
        if not access.can(request, access.RESEND):
            raise PermissionDenied(_("You do not have the required permissions: %s") % access.RESEND)
        shop = access.shop_or_404(request, request.resolver_match.kwargs["shop_pk"])
        selection = None if ids == "all" else [int(pk) for pk in ids]
        count = resend_failed_items(shop.pk, ids=selection)
        if count:
            messages.success(request, queued_message(count))
        else:
            messages.info(request, _("None of the selected items has failed: nothing to resend."))
