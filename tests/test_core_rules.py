"""Contact rules from the dangerous side: consent, compliance states, names, addresses, interests.

Each test pins one rule a plausible one-line bug would break, and asserts on what Mailchimp
(the emulator) ends up holding, or on the outbox row when that is the visible outcome.
"""
import pytest
from shuup.core.models import CompanyContact, MutableAddress, PersonContact
from shuup.testing import factories

from shuup_mailchimp.client import client_for, members
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSyncItem

from .conftest import member_of


def person(shop, email="dana.rules@mailbox.org", permission=True, **kw):
    contact = PersonContact.objects.create(
        first_name=kw.pop("first_name", "Dana"), last_name=kw.pop("last_name", "Rules"), email=email,
        marketing_permission=permission, **kw
    )
    contact.add_to_shop(shop)
    return contact


def contact_item(contact):
    return MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk)


def customer_of(emulator, shop_settings, contact):
    return emulator.snapshot()["stores"][shop_settings.store_id]["customers"].get(str(contact.pk))


def interests_of(emulator, audience_id):
    """{interest id: name} of every interest in the audience."""
    found = {}
    for category in emulator.snapshot()["lists"][audience_id]["interest_categories"].values():
        for interest_id, interest in category["interests"].items():
            found[interest_id] = interest["name"]
    return found


def mark_cleaned(emulator, audience_id, email):
    """The address hard-bounced in Mailchimp (status ``cleaned``, a compliance state)."""
    clean = getattr(emulator, "clean_member", None)
    if clean is not None:
        clean(audience_id, email)
    else:
        emulator.fire_webhook(audience_id, "cleaned", email, source="user")
    assert member_of(emulator, audience_id, email)["status"] == "cleaned"


# --- consent -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_withdrawal_unsubscribes_even_when_transactional_contacts_are_not_sent(initialized, emulator):
    # The "no transactional contacts" shortcut is for contacts that never gave permission;
    # a contact who withdraws it must still be unsubscribed, or they keep receiving campaigns.
    contact = person(initialized.shop)
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "subscribed"
    initialized.send_transactional = False
    initialized.save()
    contact.marketing_permission = False
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "unsubscribed"
    assert contact_item(contact).status == SyncStatus.SYNCED


@pytest.mark.django_db
def test_cleaned_member_stays_cleaned_after_an_edit(initialized, emulator):
    contact = person(initialized.shop, email="bounced.rules@mailbox.org")
    mark_cleaned(emulator, initialized.audience_id, contact.email)
    contact.first_name = "Dane"  # an ordinary edit, permission unchanged
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "cleaned"
    assert contact_item(contact).status == SyncStatus.SYNCED  # a final answer, not a failure


@pytest.mark.django_db
def test_permanently_deleted_member_is_final_not_failed(initialized, emulator):
    contact = person(initialized.shop, email="forgotten.rules@mailbox.org")
    client = client_for(initialized)
    client.post("members.delete_permanent", members.member_path(initialized.audience_id, contact.email)
                + "/actions/delete-permanent")
    assert member_of(emulator, initialized.audience_id, contact.email) is None
    contact.first_name = "Dina"
    contact.save()
    sync_item = contact_item(contact)
    assert sync_item.status == SyncStatus.SYNCED, (sync_item.last_error_title, sync_item.last_error_detail)
    assert "final" in sync_item.note
    assert member_of(emulator, initialized.audience_id, contact.email) is None  # never re-imported


# --- names and addresses -------------------------------------------------------------------


@pytest.mark.django_db
def test_company_rename_reaches_fname(initialized, emulator):
    company = CompanyContact.objects.create(name="Oldname Oy", email="office@oldname-oy.fi", marketing_permission=True)
    company.add_to_shop(initialized.shop)
    company.name = "Newname Oy"
    company.save()
    member = member_of(emulator, initialized.audience_id, "office@oldname-oy.fi")
    assert member["merge_fields"]["FNAME"] == "Newname Oy"
    assert customer_of(emulator, initialized, company)["company"] == "Newname Oy"


@pytest.mark.django_db
def test_new_default_billing_address_reaches_the_customer(initialized, emulator):
    contact = person(initialized.shop, email="moving.rules@mailbox.org")
    assert not customer_of(emulator, initialized, contact).get("address", {}).get("address1")
    contact.default_billing_address = MutableAddress.objects.create(
        name="Dana Rules", street="Mannerheimintie 1", city="Helsinki", postal_code="00100", country="FI")
    contact.save()  # the only change: the address
    address = customer_of(emulator, initialized, contact)["address"]
    assert address["address1"] == "Mannerheimintie 1" and address["city"] == "Helsinki"
    assert address["postal_code"] == "00100" and address["country_code"] == "FI"


@pytest.mark.django_db
def test_address_edited_in_place_reaches_the_customer(initialized, emulator):
    address = MutableAddress.objects.create(
        name="Dana Rules", street="Mannerheimintie 1", city="Helsinki", postal_code="00100", country="FI")
    contact = person(initialized.shop, email="street.rules@mailbox.org", default_billing_address=address)
    assert customer_of(emulator, initialized, contact)["address"]["address1"] == "Mannerheimintie 1"
    address.street = "Aleksanterinkatu 52"
    address.save()  # e.g. the customer edits the address in their address book
    assert customer_of(emulator, initialized, contact)["address"]["address1"] == "Aleksanterinkatu 52"


# --- interests and store initialization ----------------------------------------------------


@pytest.mark.django_db
def test_reinitializing_the_store_reuses_the_interests(initialized, emulator):
    from shuup_mailchimp.sync.store import initialize_store

    groups = [factories.create_random_contact_group(shop=initialized.shop) for _ in range(2)]
    before = interests_of(emulator, initialized.audience_id)
    assert {g.name for g in groups} <= set(before.values())
    initialized.refresh_from_db()
    summary = initialize_store(initialized)
    assert interests_of(emulator, initialized.audience_id) == before  # same ids, nothing new
    assert summary["interests"] == len(groups)


@pytest.mark.django_db
def test_reinitializing_after_a_reinstall_finds_the_interests_by_name(initialized, emulator):
    # A reinstall loses the outbox (where the group -> interest ids live) but not Mailchimp's interests.
    from shuup_mailchimp.sync.store import initialize_store

    groups = [factories.create_random_contact_group(shop=initialized.shop) for _ in range(2)]
    before = interests_of(emulator, initialized.audience_id)
    MailchimpSyncItem.objects.filter(kind=SyncKind.INTEREST).delete()
    initialized.refresh_from_db()
    initialize_store(initialized)
    assert interests_of(emulator, initialized.audience_id) == before
    contact = person(initialized.shop, email="grouped.rules@mailbox.org")
    groups[0].members.add(contact)
    member = member_of(emulator, initialized.audience_id, contact.email)
    chosen = {before[i] for i, on in member["interests"].items() if on}
    assert chosen == {groups[0].name}


@pytest.mark.django_db
def test_interest_map_is_full_with_false_for_other_groups(initialized, emulator):
    # A partial map (only the true ones) would leave a group the contact left switched on forever.
    first = factories.create_random_contact_group(shop=initialized.shop)
    second = factories.create_random_contact_group(shop=initialized.shop)
    contact = person(initialized.shop, email="map.rules@mailbox.org")
    first.members.add(contact)
    names = interests_of(emulator, initialized.audience_id)
    member = member_of(emulator, initialized.audience_id, contact.email)
    by_name = {names[i]: on for i, on in member["interests"].items()}
    assert by_name == {first.name: True, second.name: False}
    first.members.remove(contact)
    second.members.add(contact)
    member = member_of(emulator, initialized.audience_id, contact.email)
    by_name = {names[i]: on for i, on in member["interests"].items()}
    assert by_name == {first.name: False, second.name: True}


# --- consent on a first sync, and a member Mailchimp knows better than we do ---------------


def _seed_pending_signup(shop_settings, email):
    """A sign-up through a Mailchimp double opt-in form: pending until the person clicks."""
    client = client_for(shop_settings)
    body = {"email_address": email, "status_if_new": "pending"}
    members.upsert_member(client, shop_settings.audience_id, email, body)


@pytest.mark.django_db
def test_first_sync_never_confirms_a_pending_signup_for_the_person(initialized, emulator):
    _seed_pending_signup(initialized, "doubleoptin.rules@mailbox.org")
    contact = person(initialized.shop, email="doubleoptin.rules@mailbox.org")  # with permission
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"


@pytest.mark.django_db
def test_permission_given_in_shuup_does_not_confirm_a_pending_signup(initialized, emulator):
    _seed_pending_signup(initialized, "laterconsent.rules@mailbox.org")
    contact = person(initialized.shop, email="laterconsent.rules@mailbox.org", permission=False)
    contact.marketing_permission = True
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"


@pytest.mark.django_db
def test_a_mailchimp_form_signup_is_not_undone_by_a_contact_without_permission(initialized, emulator):
    emulator.fire_webhook(initialized.audience_id, "subscribe", "formsignup.rules@mailbox.org", source="user")
    contact = person(initialized.shop, email="formsignup.rules@mailbox.org", permission=False)
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "subscribed"
    contact.first_name = "Edited"
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "subscribed"


@pytest.mark.django_db
def test_withdrawal_while_a_reconfirmation_is_pending_unsubscribes(initialized, emulator):
    contact = person(initialized.shop, email="pendingwithdraw.rules@mailbox.org")
    emulator.fire_webhook(initialized.audience_id, "unsubscribe", contact.email, source="user")
    contact.marketing_permission = False
    contact.save()
    contact.marketing_permission = True
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"
    contact.marketing_permission = False  # withdrawn before clicking: one click must not subscribe them
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "unsubscribed"


@pytest.mark.django_db
def test_a_cleaned_address_gets_no_reconfirmation_when_permission_is_given_again(initialized, emulator):
    contact = person(initialized.shop, email="bouncing.rules@mailbox.org")
    mark_cleaned(emulator, initialized.audience_id, contact.email)
    contact.first_name = "Learn"  # the answer to this edit tells us the member is cleaned
    contact.save()
    contact.marketing_permission = False
    contact.save()
    contact.marketing_permission = True
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "cleaned"


@pytest.mark.django_db
def test_an_email_change_after_a_permanent_delete_syncs_the_new_address(initialized, emulator):
    contact = person(initialized.shop, email="gone.rules@mailbox.org")
    client_for(initialized).post("members.delete_permanent", members.member_path(initialized.audience_id, contact.email)
                                 + "/actions/delete-permanent")
    contact.first_name = "Gone"
    contact.save()
    assert "final" in contact_item(contact).note
    contact.email = "back.rules@mailbox.org"
    contact.save()
    assert member_of(emulator, initialized.audience_id, "back.rules@mailbox.org")["status"] == "subscribed"
    assert member_of(emulator, initialized.audience_id, "gone.rules@mailbox.org") is None
    assert contact_item(contact).status == SyncStatus.SYNCED


@pytest.mark.django_db
def test_a_contact_registered_in_the_shop_is_synced(initialized, emulator):
    contact = PersonContact.objects.create(first_name="Reg", last_name="Istered", email="registered.rules@mailbox.org",
                                           marketing_permission=True, registration_shop=initialized.shop)
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "subscribed"


@pytest.mark.django_db
def test_a_shop_never_adopts_the_interest_category_of_another_shop_on_its_audience(initialized, emulator):
    # Two shops with the same name share an audience; shop 1 lost its category id (e.g. its store
    # id was cleared) and looks for "Contact Group (<name>)": that one is shop 2's.
    from shuup_mailchimp.models import MailchimpShopSettings
    from shuup_mailchimp.sync.store import initialize_store

    first = initialized.shop
    first.name = first.public_name = "Twin Shop"
    first.save()
    second = factories.get_shop(identifier="twin", domain="twin.example-shop.com", name="Twin Shop",
                                public_name="Twin Shop")
    twin_group = factories.create_random_contact_group(shop=second)
    twin = MailchimpShopSettings(shop=second, api_key=initialized.api_key, audience_id=initialized.audience_id,
                                 enabled=True)
    twin.save()
    initialize_store(twin)
    twin.refresh_from_db()
    twin_interest = MailchimpSyncItem.objects.get(shop=second, kind=SyncKind.INTEREST, object_id=twin_group.pk)
    MailchimpShopSettings.objects.filter(pk=initialized.pk).update(interest_category_id="")
    initialized.refresh_from_db()
    factories.create_random_contact_group(shop=first)
    initialize_store(initialized)
    initialized.refresh_from_db()
    assert initialized.interest_category_id and initialized.interest_category_id != twin.interest_category_id
    twin_category = emulator.snapshot()["lists"][initialized.audience_id]["interest_categories"][
        twin.interest_category_id]
    assert set(twin_category["interests"]) == {twin_interest.remote_id}  # nothing of shop 1 in there


@pytest.mark.django_db
def test_queued_work_of_a_shop_that_turned_mailchimp_off_is_not_sent(initialized, emulator):
    from datetime import timedelta

    from django.utils import timezone

    from shuup_mailchimp.sync.processing import process_due

    emulator.fault_rate = 1.0
    contact = person(initialized.shop, email="switchedoff.rules@mailbox.org")
    assert contact_item(contact).status == SyncStatus.PENDING  # waiting for a retry
    emulator.fault_rate = 0.0
    initialized.enabled = False  # the shop owner turns the integration off
    initialized.save()
    MailchimpSyncItem.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    process_due()
    assert member_of(emulator, initialized.audience_id, contact.email) is None
    assert contact_item(contact).status != SyncStatus.SYNCED
