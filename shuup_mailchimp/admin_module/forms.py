"""The "Mailchimp" settings form of a shop's edit page.

Two decisions live here:

* The API key is write-only. The field is a password input that is never rendered back;
  leaving it empty keeps the stored key. The help text shows only ``masked_api_key``.
* A new key or audience is tried against Mailchimp before saving (``check_connection`` on an
  unsaved copy). A refused key or a missing audience blocks saving; network trouble does
  not (Mailchimp being down must not stop a shop owner from saving the shop), it becomes
  a warning the form part shows after saving; except that an unchecked key or audience never
  replaces a saved one, which may be working (the field then says so; clear it to save the rest).
"""
import copy

from django import forms
from django.utils.translation import ugettext as _
from django.utils.translation import ugettext_lazy

from shuup_mailchimp.forms_validation import validate_api_key
from shuup_mailchimp.models import MailchimpShopSettings
from shuup_mailchimp.sync.connection import (
    CAUSE_AUDIENCE,
    CAUSE_KEY,
    CAUSE_NO_KEY,
    TRANSIENT_CAUSES,
    check_connection,
)
from shuup_mailchimp.sync.signup import marketing_permission_choices

#: Commerce automations (sync/carts.py, sync/signup.py): abandoned carts, sign-ups, the GDPR permission.
AUTOMATION_FIELDS = ("send_carts", "abandoned_cart_tag", "double_opt_in", "signup_on_registration",
                     "signup_consent_text", "marketing_permission_id")


def classify_report(report):
    """``"ok"``, ``"transient"`` (warn, save anyway), ``"key"``, ``"audience"`` or ``"other"`` (form errors)."""
    if report.ok:
        return "ok"
    if report.cause in TRANSIENT_CAUSES:
        return "transient"
    if report.cause in (CAUSE_KEY, CAUSE_NO_KEY):
        return "key"
    if report.cause == CAUSE_AUDIENCE:
        return "audience"
    return "other"  # unknown means failure, never silence


class MailchimpShopSettingsForm(forms.ModelForm):
    """Edits one shop's :class:`MailchimpShopSettings`; the key only ever travels inward."""

    api_key = forms.CharField(
        label=ugettext_lazy("API key"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = MailchimpShopSettings
        # ``api_key`` is not a model field here on purpose: an empty input must not overwrite it.
        fields = ("enabled", "audience_id", "store_id", "two_way_sync", "conflict_policy", "send_transactional",
                  ) + AUTOMATION_FIELDS

    field_order = ("enabled", "api_key", "audience_id", "store_id", "two_way_sync", "conflict_policy",
                   "send_transactional") + AUTOMATION_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: Problems that do not block saving (Mailchimp unreachable); shown as warning messages.
        self.warnings = []
        self.connection_report = None
        masked = self.instance.masked_api_key
        if masked:
            help_text = _("%(masked)s is saved; leave empty to keep it.") % {"masked": masked}
        else:
            help_text = _("No key is saved. Mailchimp: Profile > Extras > API keys.")
        self.fields["api_key"].help_text = help_text
        # GDPR: offer the audience's own marketing permissions (read from Mailchimp, cached) when it has any.
        choices = marketing_permission_choices(self.instance) if self.instance.is_configured else []
        if choices:
            field = self.fields["marketing_permission_id"]
            self.fields["marketing_permission_id"] = forms.ChoiceField(
                label=field.label, help_text=field.help_text, required=False,
                choices=[("", _("(not sent)"))] + list(choices))

    def clean_api_key(self):
        value = self.cleaned_data.get("api_key", "")
        if value:
            validate_api_key(value)
        return value

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        original = self.instance
        api_key = data.get("api_key") or original.api_key
        audience_id = data.get("audience_id", "")
        if data.get("enabled") and not (api_key and audience_id):
            self.add_error("enabled", _("Enter the API key and the audience id before enabling Mailchimp."))
            return data
        self._check_store_move(data, original)
        if self.errors:
            return data
        changed = bool(data.get("api_key")) or audience_id != original.audience_id
        if api_key and audience_id and changed:
            self._check_connection(api_key, audience_id)
        return data

    def _check_store_move(self, data, original):
        """Mailchimp cannot move a store to another audience: say so instead of breaking the store."""
        audience_changed = original.audience_id and data.get("audience_id") != original.audience_id
        if audience_changed and original.store_id and data.get("store_id") == original.store_id:
            self.add_error(
                "audience_id",
                _(
                    "Store %(store)s belongs to audience %(old)s and Mailchimp cannot move a store to another "
                    "audience. To use audience %(new)s, also clear the store id: Initialize store then creates "
                    "a new store there."
                )
                % {"store": original.store_id, "old": original.audience_id, "new": data.get("audience_id")},
            )

    def _check_connection(self, api_key, audience_id):
        candidate = copy.copy(self.instance)  # unsaved: nothing is stored until the whole form is valid
        candidate.api_key = api_key
        candidate.audience_id = audience_id
        report = check_connection(candidate)
        self.connection_report = report
        verdict = classify_report(report)
        text = " ".join(report.lines())
        original = self.instance
        replaces = (original.api_key and original.api_key != api_key) or (
            original.audience_id and original.audience_id != audience_id)
        if verdict == "transient" and replaces:
            from shuup_mailchimp.admin_module.explain import explain_report
            from shuup_mailchimp.client import api_base_url

            field = "api_key" if original.api_key != api_key else "audience_id"
            self.add_error(field, _(
                "Mailchimp could not be reached to check this, so the saved value stays in use: %(why)s Save again "
                "once Mailchimp answers, or empty this field to save the other changes."
            ) % {"why": explain_report(report, api_base_url(api_key))[0]})
        elif verdict == "transient":
            from shuup_mailchimp.admin_module.explain import explain_report
            from shuup_mailchimp.client import api_base_url

            self.warnings.append(_("The settings were saved but could not be checked: %s") % " ".join(
                explain_report(report, api_base_url(api_key))))
        elif verdict == "key":
            self.add_error("api_key", text)
        elif verdict == "audience":
            self.add_error("audience_id", text)
        elif verdict == "other":
            self.add_error(None, text)

    def save(self, commit=True):
        obj = super().save(commit=False)
        new_key = self.cleaned_data.get("api_key")
        if new_key:
            obj.api_key = new_key
        if "store_id" in self.changed_data or "audience_id" in self.changed_data:
            # A different store (or none yet) must be initialized again; its category is per audience.
            obj.store_initialized_on = None
        if "audience_id" in self.changed_data:
            obj.interest_category_id = ""
        if commit:
            obj.save()
        return obj
