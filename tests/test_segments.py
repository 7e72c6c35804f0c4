"""Contact groups kept as Mailchimp tags (static segments): exactly their members, following adds,
removals, renames, deletes; batched 500 + 500 per call; adoption and ownership; the admin's counts."""
import pytest
from shuup.core.models import PersonContact
from shuup.testing import factories

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSegmentMember, MailchimpShopSettings, MailchimpSyncItem
from shuup_mailchimp.sync import segments
from shuup_mailchimp.sync.processing import process_due

from .conftest import API_KEY


def person(shop, email, permission=True):
    contact = PersonContact.objects.create(first_name="P", last_name=email.split("@")[0], email=email,
                                           marketing_permission=permission)
    contact.add_to_shop(shop)
    return contact


def tags(emulator, audience_id):
    """{tag name: set of member addresses} as the emulator holds them."""
    lst = emulator.snapshot()["lists"][audience_id]
    out = {s["name"]: set() for s in lst["segments"].values() if s["type"] == "static"}
    for member in lst["members"].values():
        for tag in member["tags"]:
            out.setdefault(tag["name"], set()).add(member["email_address"])
    return out


def item_of(group, shop_id=None):
    qs = MailchimpSyncItem.objects.filter(kind=SyncKind.SEGMENT, object_id=group.pk)
    return (qs.filter(shop_id=shop_id) if shop_id else qs).get()


@pytest.fixture
def vip(initialized):
    group = factories.create_random_contact_group(shop=initialized.shop)
    group.name = "VIP"
    group.save()
    return group


@pytest.fixture
def people(initialized):
    return [person(initialized.shop, "p%d@mailbox.org" % n) for n in range(4)]


@pytest.mark.django_db
def test_a_chosen_group_becomes_a_tag_with_exactly_its_members(initialized, emulator, vip, people):
    vip.members.add(people[0], people[1])
    assert "VIP" not in tags(emulator, initialized.audience_id)  # not chosen: an interest only
    segments.choose_groups(initialized.shop, [vip.pk])
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org", "p1@mailbox.org"}
    item = item_of(vip)
    assert item.status == SyncStatus.SYNCED and item.remote_id
    assert set(MailchimpSegmentMember.objects.filter(group_id=vip.pk).values_list("contact_id", flat=True)) == {
        people[0].pk, people[1].pk}


@pytest.mark.django_db
def test_the_tag_follows_adds_removals_clears_and_both_sides_of_the_relation(initialized, emulator, vip, people):
    segments.choose_groups(initialized.shop, [vip.pk])
    vip.members.add(people[0], people[1], people[2])
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org", "p1@mailbox.org", "p2@mailbox.org"}
    vip.members.remove(people[1])
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org", "p2@mailbox.org"}
    people[3].groups.add(vip)  # the reverse side
    people[0].groups.remove(vip)
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p2@mailbox.org", "p3@mailbox.org"}
    vip.members.clear()
    assert tags(emulator, initialized.audience_id)["VIP"] == set()
    assert not MailchimpSegmentMember.objects.filter(group_id=vip.pk).exists()


@pytest.mark.django_db
def test_rename_follows_the_group(initialized, emulator, vip, people):
    vip.members.add(people[0])
    segments.choose_groups(initialized.shop, [vip.pk])
    vip.name = "Very Important"
    vip.save()
    current = tags(emulator, initialized.audience_id)
    assert "VIP" not in current and current["Very Important"] == {"p0@mailbox.org"}
    assert item_of(vip).state["name"] == "Very Important"


@pytest.mark.django_db
def test_deleting_the_group_deletes_its_tag(initialized, emulator, vip, people):
    vip.members.add(people[0])
    segments.choose_groups(initialized.shop, [vip.pk])
    segment_id = item_of(vip).remote_id
    vip.delete()
    lst = emulator.snapshot()["lists"][initialized.audience_id]
    assert segment_id not in lst["segments"]
    assert "VIP" not in tags(emulator, initialized.audience_id)
    assert lst["members"]  # the people stay on the audience
    assert not MailchimpSegmentMember.objects.filter(shop=initialized.shop).exists()


@pytest.mark.django_db
def test_unchoosing_deletes_the_tag_or_leaves_it_by_setting(initialized, emulator, vip, people, settings):
    vip.members.add(people[0])
    segments.choose_groups(initialized.shop, [vip.pk])
    settings.SHUUP_MAILCHIMP_DELETE_UNCHOSEN_TAGS = False
    segments.choose_groups(initialized.shop, [])
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org"}  # left as it was
    item = item_of(vip)
    assert item.status == SyncStatus.SYNCED and "left" in item.note
    vip.members.add(people[1])  # not kept up to date any more
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org"}
    # chosen again: the same tag is adopted and brought in line
    segments.choose_groups(initialized.shop, [vip.pk])
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org", "p1@mailbox.org"}
    settings.SHUUP_MAILCHIMP_DELETE_UNCHOSEN_TAGS = True
    segments.choose_groups(initialized.shop, [])
    assert "VIP" not in tags(emulator, initialized.audience_id)
    assert item_of(vip).remote_id == ""


@pytest.mark.django_db
def test_members_go_500_plus_500_per_call(initialized, emulator, vip, people, monkeypatch):
    monkeypatch.setattr(segments, "CHUNK", 2)  # 500 in production: four people make two calls
    vip.members.add(*people[:3])
    writes = emulator.stats["writes"]
    segments.choose_groups(initialized.shop, [vip.pk])
    # one create + ceil(3 / 2) member updates
    assert emulator.stats["writes"] - writes == 3
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org", "p1@mailbox.org", "p2@mailbox.org"}
    # a swap, made behind the receivers' back: removals and the add travel together
    vip.members.through.objects.filter(contactgroup=vip).delete()
    vip.members.through.objects.create(contactgroup=vip, contact=people[3])
    writes = emulator.stats["writes"]
    from shuup_mailchimp.sync.outbox import record
    from shuup_mailchimp.sync.processing import process_items

    process_items(record([initialized.shop_id], SyncKind.SEGMENT, vip.pk))
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p3@mailbox.org"}
    assert emulator.stats["writes"] - writes == 2  # (1 add + 2 removes), then (1 remove)


@pytest.mark.django_db
def test_the_emulator_refuses_more_than_500_and_reports_non_members(initialized, emulator, vip):
    from shuup_mailchimp.client import client_for
    from shuup_mailchimp.client import segments as api
    from shuup_mailchimp.exceptions import MailchimpError

    client = client_for(initialized)
    tag = api.create_tag(client, initialized.audience_id, "Loose")
    answer = api.update_members(client, initialized.audience_id, tag["id"], add=["nobody@mailbox.org"])
    assert answer["errors"][0]["email_addresses"] == ["nobody@mailbox.org"]
    with pytest.raises(ValueError):
        api.update_members(client, initialized.audience_id, tag["id"], add=["x%d@mailbox.org" % n for n in range(501)])
    with pytest.raises(MailchimpError) as raised:
        client.post("raw", "lists/%s/segments/%s" % (initialized.audience_id, tag["id"]),
                    {"members_to_add": ["x%d@mailbox.org" % n for n in range(501)]})
    assert raised.value.status == 400


@pytest.mark.django_db
def test_an_existing_tag_of_the_name_is_adopted_and_strangers_removed(initialized, emulator, vip, people):
    from shuup_mailchimp.client import client_for
    from shuup_mailchimp.client import segments as api

    stranger = "someone.else@mailbox.org"
    emulator.subscribe_as_person(initialized.audience_id, stranger)
    client = client_for(initialized)
    made_before = api.create_tag(client, initialized.audience_id, "VIP")
    api.update_members(client, initialized.audience_id, made_before["id"], add=[stranger, "p0@mailbox.org"])
    vip.members.add(people[0], people[1])
    segments.choose_groups(initialized.shop, [vip.pk])
    assert item_of(vip).remote_id == str(made_before["id"])  # one tag, not two
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org", "p1@mailbox.org"}
    assert "strangers" not in item_of(vip).state  # no addresses kept on the item


@pytest.mark.django_db
def test_a_tag_deleted_in_mailchimp_is_made_again(initialized, emulator, vip, people):
    from shuup_mailchimp.client import client_for
    from shuup_mailchimp.client import segments as api

    vip.members.add(people[0])
    segments.choose_groups(initialized.shop, [vip.pk])
    old = item_of(vip).remote_id
    api.delete_tag(client_for(initialized), initialized.audience_id, old)
    vip.members.add(people[1])
    item = item_of(vip)
    assert item.status == SyncStatus.SYNCED and item.remote_id != old
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org", "p1@mailbox.org"}


@pytest.mark.django_db
def test_only_audience_members_are_tagged(initialized, emulator, vip, people):
    initialized.send_transactional = False
    initialized.save()
    outsider = person(initialized.shop, "no.permission@mailbox.org", permission=False)
    vip.members.add(people[0], outsider)
    segments.choose_groups(initialized.shop, [vip.pk])
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org"}
    row = next(r for r in segments.group_statuses(initialized.shop_id) if r.group.pk == vip.pk)
    assert (row.chosen, row.in_shuup, row.in_audience, row.in_tag, row.to_add, row.to_remove) == (
        True, 2, 1, 1, 0, 0)
    assert row.status == "synced"


@pytest.fixture
def queued_only(settings, monkeypatch):
    """Work is recorded but not sent (a broker that never runs the task)."""
    from shuup_mailchimp import tasks

    settings.SHUUP_MAILCHIMP_DISPATCH = "celery"
    monkeypatch.setattr(tasks.process_due, "apply_async", lambda *a, **k: None)


@pytest.mark.django_db
def test_members_whose_own_sync_waits_are_sent_first(initialized, emulator, vip, queued_only):
    from shuup_mailchimp.sync.processing import process_items

    late = person(initialized.shop, "late@mailbox.org")
    vip.members.add(late)
    segments.choose_groups(initialized.shop, [vip.pk])
    contact_item = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=late.pk)
    assert contact_item.status == SyncStatus.PENDING
    process_items([item_of(vip).pk])  # the tag alone: its member is brought up to date first
    assert tags(emulator, initialized.audience_id)["VIP"] == {"late@mailbox.org"}
    contact_item.refresh_from_db()
    assert contact_item.status == SyncStatus.SYNCED


@pytest.mark.django_db
def test_members_still_waiting_make_the_tag_retry(initialized, emulator, vip, people, queued_only, monkeypatch):
    from shuup_mailchimp.sync.processing import process_items

    monkeypatch.setattr(segments, "BRING_UP_TO_DATE", 0)
    late = person(initialized.shop, "late@mailbox.org")
    vip.members.add(people[0], late)
    segments.choose_groups(initialized.shop, [vip.pk])
    summary = process_items([item_of(vip).pk])
    assert summary.retrying == 1
    item = item_of(vip)
    assert item.status == SyncStatus.PENDING and item.last_error_title == "Waiting for contacts"
    assert item.state["waiting"] == 1 and item.state["name"] == "VIP"
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org"}  # the others did not wait
    process_due(shop_id=initialized.shop_id, ignore_backoff=True)  # the contact, then the tag again
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org", "late@mailbox.org"}
    assert item_of(vip).status == SyncStatus.SYNCED


@pytest.mark.django_db
def test_two_shops_on_one_audience_own_their_tags(initialized, emulator, vip, people):
    shop2 = factories.get_shop(identifier="second", name="Second shop", domain="second.example-shop.com")
    settings2 = MailchimpShopSettings.objects.create(shop=shop2, api_key=API_KEY, audience_id=initialized.audience_id,
                                                     enabled=True)
    from shuup_mailchimp.sync.store import initialize_store

    initialize_store(settings2)
    vip.members.add(people[0])
    segments.choose_groups(initialized.shop, [vip.pk])
    vip2 = factories.create_random_contact_group(shop=shop2)
    vip2.name = "VIP"
    vip2.save()
    other = person(shop2, "shop2.buyer@mailbox.org")
    vip2.members.add(other)
    segments.choose_groups(shop2, [vip2.pk])
    current = tags(emulator, initialized.audience_id)
    assert current["VIP"] == {"p0@mailbox.org"}  # shop 1's tag untouched
    assert current["VIP (Second shop)"] == {"shop2.buyer@mailbox.org"}
    vip2.delete()
    current = tags(emulator, initialized.audience_id)
    assert current["VIP"] == {"p0@mailbox.org"} and "VIP (Second shop)" not in current


@pytest.mark.django_db
def test_nothing_is_recorded_for_groups_that_are_not_tags(initialized, emulator, vip, people):
    vip.members.add(people[0])
    vip.name = "Renamed"
    vip.save()
    assert not MailchimpSyncItem.objects.filter(kind=SyncKind.SEGMENT).exists()


@pytest.mark.django_db
def test_the_daily_refresh_tags_a_member_who_joined_the_audience_later(initialized, emulator, vip, people):
    initialized.send_transactional = False
    initialized.save()
    late = person(initialized.shop, "late.permission@mailbox.org", permission=False)
    vip.members.add(people[0], late)
    segments.choose_groups(initialized.shop, [vip.pk])
    late.marketing_permission = True
    late.save()  # joins the audience; its group is unchanged
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org"}
    writes = emulator.stats["writes"]
    assert segments.refresh_active_shops() == 1
    process_due(shop_id=initialized.shop_id)
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p0@mailbox.org", "late.permission@mailbox.org"}
    assert emulator.stats["writes"] - writes == 1
    writes = emulator.stats["writes"]
    segments.refresh_active_shops()
    process_due(shop_id=initialized.shop_id)  # unchanged: no call at all
    assert emulator.stats["writes"] == writes and item_of(vip).note.startswith("unchanged")


@pytest.mark.django_db
def test_an_anonymized_contact_leaves_nothing_in_the_tags_record(initialized, emulator, vip, people):
    from django.db import transaction
    from shuup.gdpr.anonymizer import Anonymizer

    vip.members.add(people[0], people[1])
    segments.choose_groups(initialized.shop, [vip.pk])
    with transaction.atomic():
        Anonymizer().anonymize(initialized.shop, people[0])
    assert list(MailchimpSegmentMember.objects.values_list("contact_id", flat=True)) == [people[1].pk]
    segments.refresh_active_shops()
    process_due(shop_id=initialized.shop_id)
    assert tags(emulator, initialized.audience_id)["VIP"] == {"p1@mailbox.org"}
    assert item_of(vip).status == SyncStatus.SYNCED
