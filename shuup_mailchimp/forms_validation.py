"""Validation shared by the admin form and the commands, with messages a shop owner can act on."""
from django.core.exceptions import ValidationError
from django.utils.translation import ugettext as _

from shuup_mailchimp.models.shop_settings import API_KEY_RE


def validate_api_key(value):
    value = (value or "").strip()
    if not API_KEY_RE.match(value):
        raise ValidationError(
            _(
                "This is not a Mailchimp API key. A key looks like 32 hexadecimal characters, a dash and the data "
                "centre, e.g. 0123456789abcdef0123456789abcdef-us6 (Mailchimp: Profile > Extras > API keys)."
            ),
            code="api_key_format",
        )
