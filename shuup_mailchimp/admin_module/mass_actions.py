"""Picotable mass actions of the sync item list."""
from django.contrib import messages
from django.utils.translation import ugettext as _
from django.utils.translation import ugettext_lazy
from shuup.admin.shop_provider import get_shop
from shuup.admin.utils.picotable import PicotableMassAction

from shuup_mailchimp.admin_module.resend import resend_failed_items


class ResendSyncItemsAction(PicotableMassAction):
    """Send the selected failed items again (the others are skipped)."""

    label = ugettext_lazy("Resend failed items")
    identifier = "mass_action_mailchimp_resend"

    def process(self, request, ids):
        shop = get_shop(request)
        selection = None if ids == "all" else [int(pk) for pk in ids]
        count = resend_failed_items(shop.pk, ids=selection)
        messages.info(request, _("%d failed item(s) queued for sending again.") % count)
