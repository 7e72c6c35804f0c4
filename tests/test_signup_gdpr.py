"""GDPR-enabled audiences: the shop maps its consent onto the audience's marketing permission, for
synced contacts and sign-ups alike, both ways; the emulator keeps members' permissions like Mailchimp."""
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from shuup.core.models import PersonContact

from shuup_mailchimp.admin_module.forms import MailchimpShopSettingsForm
from shuup_mailchimp.sync.signup import marketing_permission_choices, sign_consent
from shuup_mailchimp.testing.emulator.members import enable_marketing_permissions

from .conftest import member_of


@pytest.fixture
def gdpr(initialized, emulator):
    """The audience has GDPR fields; the shop says which one is email marketing."""
    cache.clear()
    permissions = enable_marketing_permissions(emulator, initialized.audience_id,
                                               ["Email", "Direct Mail", "Customized Online Advertising"])
    initialized.marketing_permission_id = permissions[0]["marketing_permission_id"]
    initialized.save()
    yield {p["text"]: p["marketing_permission_id"] for p in permissions}
    cache.clear()


def permissions_of(emulator, settings, email):
    member = member_of(emulator, settings.audience_id, email)
    return {p["text"]: p["enabled"] for p in member["marketing_permissions"]}


@pytest.mark.django_db
def test_the_mapped_permission_follows_the_contacts_consent_both_ways(initialized, emulator, gdpr):
    contact = PersonContact.objects.create(first_name="Gda", last_name="Pr", email="gdpr@mailbox.org",
                                           marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    assert permissions_of(emulator, initialized, contact.email) == {
        "Email": True, "Direct Mail": False, "Customized Online Advertising": False}
    contact.marketing_permission = False  # withdrawal clears it
    contact.save()
    assert permissions_of(emulator, initialized, contact.email)["Email"] is False
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "unsubscribed"
    contact.marketing_permission = True
    contact.save()
    assert permissions_of(emulator, initialized, contact.email)["Email"] is True


@pytest.mark.django_db
def test_a_contact_without_consent_is_sent_with_the_permission_off(initialized, emulator, gdpr):
    contact = PersonContact.objects.create(email="no.consent@mailbox.org", marketing_permission=False)
    contact.add_to_shop(initialized.shop)
    assert permissions_of(emulator, initialized, contact.email)["Email"] is False


@pytest.mark.django_db
def test_a_signup_enables_the_mapped_permission(initialized, emulator, gdpr):
    Client().post(reverse("shuup:mailchimp_signup"), {"email": "gdpr.reader@mailbox.org", "consent": "1",
                                                       "consent_ref": sign_consent("Email me")})
    member = member_of(emulator, initialized.audience_id, "gdpr.reader@mailbox.org")
    assert member["status"] == "pending"
    assert permissions_of(emulator, initialized, "gdpr.reader@mailbox.org")["Email"] is True


@pytest.mark.django_db
def test_no_mapping_sends_no_permissions(initialized, emulator, gdpr):
    initialized.marketing_permission_id = ""
    initialized.save()
    contact = PersonContact.objects.create(email="unmapped@mailbox.org", marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    assert not any(permissions_of(emulator, initialized, contact.email).values())


@pytest.mark.django_db
def test_the_shop_chooses_from_the_audiences_own_permissions(initialized, emulator, gdpr):
    assert marketing_permission_choices(initialized) == []  # no member yet to read them from
    contact = PersonContact.objects.create(email="first@mailbox.org", marketing_permission=True)
    contact.add_to_shop(initialized.shop)
    choices = marketing_permission_choices(initialized, use_cache=False)
    assert choices == [(gdpr["Email"], "Email"), (gdpr["Direct Mail"], "Direct Mail"),
                       (gdpr["Customized Online Advertising"], "Customized Online Advertising")]
    cache.clear()
    form = MailchimpShopSettingsForm(instance=initialized)
    assert (gdpr["Direct Mail"], "Direct Mail") in list(form.fields["marketing_permission_id"].choices)


@pytest.mark.django_db
def test_the_emulator_keeps_gdpr_permissions_as_mailchimp_does(initialized, emulator, gdpr):
    from shuup_mailchimp.client import client_for
    from shuup_mailchimp.client.members import upsert_member
    from shuup_mailchimp.exceptions import MailchimpAPIError

    client = client_for(initialized, log=False)
    created = upsert_member(client, initialized.audience_id, "raw@mailbox.org",
                            {"email_address": "raw@mailbox.org", "status_if_new": "subscribed"})
    assert {p["text"]: p["enabled"] for p in created["marketing_permissions"]} == {
        "Email": False, "Direct Mail": False, "Customized Online Advertising": False}
    with pytest.raises(MailchimpAPIError) as unknown:
        upsert_member(client, initialized.audience_id, "raw@mailbox.org", {
            "email_address": "raw@mailbox.org", "status_if_new": "subscribed",
            "marketing_permissions": [{"marketing_permission_id": "nope", "enabled": True}]})
    assert unknown.value.status == 400
    lists = emulator.snapshot()["lists"]
    assert lists[initialized.audience_id]["marketing_permissions"] is True
    other = emulator.create_list(name="No GDPR")
    assert emulator.snapshot()["lists"][other["id"]]["marketing_permissions"] is False
