"""The "Mailchimp" tab of the shop edit page (``admin_shop_form_part`` provide)."""
from django.contrib import messages
from django.utils.translation import ugettext as _
from shuup.admin.form_part import FormPart, TemplatedFormDef

from shuup_mailchimp.admin_module import access
from shuup_mailchimp.admin_module.forms import MailchimpShopSettingsForm
from shuup_mailchimp.call_log import log_configuration
from shuup_mailchimp.models import MailchimpShopSettings


class MailchimpShopFormPart(FormPart):
    priority = 20
    name = "mailchimp"

    def get_form_defs(self):
        if not self.object.pk:  # a shop being created has no settings yet
            return
        if not access.can(self.request, access.EDIT_SETTINGS):
            return
        yield TemplatedFormDef(
            name=self.name,
            form_class=MailchimpShopSettingsForm,
            template_name="shuup_mailchimp/admin/shop_settings_form_part.jinja",
            required=False,
            kwargs={"instance": self._settings()},
        )

    def _settings(self):
        # Rendering the page must not create a row; saving the form does.
        existing = MailchimpShopSettings.objects.filter(shop=self.object).first()
        return existing or MailchimpShopSettings(shop=self.object)

    def form_valid(self, form):
        settings_form = form.forms.get(self.name)
        if settings_form is None or not settings_form.has_changed():
            return
        saved = settings_form.save()
        log_configuration(saved, "the admin", settings_form.changed_data)
        for warning in settings_form.warnings:
            messages.warning(self.request, warning)
        if "enabled" in settings_form.changed_data and saved.enabled and saved.is_initialized:
            # Switched on again after a pause: saves made meanwhile recorded nothing (see receivers).
            messages.info(self.request, _(
                "Mailchimp sync is on again. Changes made while it was off were not recorded: each object "
                "goes out at its next save, or all at once with Addons > Mailchimp > Actions > Schedule sync."))
