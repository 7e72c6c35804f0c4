"""Full sync through batch operations (sync/fullsync), against the in-process emulator."""
import pytest
from shuup.core.models import PersonContact
from shuup.testing import factories

from shuup_mailchimp.enums import BatchStatus, FullSyncStatus, SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpFullSync, MailchimpSyncBatch, MailchimpSyncItem
from shuup_mailchimp.sync import fullsync
from shuup_mailchimp.sync.processing import process_due

from .conftest import member_of


@pytest.fixture(autouse=True)
def small_batches(settings):
    settings.SHUUP_MAILCHIMP_FULL_SYNC_BATCH_SIZE = 10
    settings.SHUUP_MAILCHIMP_FULL_SYNC_CHUNK_SIZE = 4
    settings.SHUUP_MAILCHIMP_FULL_SYNC_MAX_PENDING = 3
    settings.SHUUP_MAILCHIMP_FULL_SYNC_POLL_INTERVAL = (0.001, 0.02)


def build_shop(shop_settings, contacts=8, products=3, orders=4, groups=2):
    """An existing shop's data, made while the integration was off (nothing recorded)."""
    shop_settings.enabled = False
    shop_settings.save()
    shop = shop_settings.shop
    group_list = [factories.create_random_contact_group(shop=shop) for _ in range(groups)]
    people = []
    for n in range(contacts):
        contact = PersonContact.objects.create(first_name="Ann%d" % n, last_name="Lee", email="ann%d@mailbox.org" % n,
                                               marketing_permission=n % 3 != 0)
        contact.add_to_shop(shop)
        if group_list:
            group_list[n % len(group_list)].members.add(contact)
        people.append(contact)
    supplier = factories.get_default_supplier()
    catalog = [factories.create_product("fs-%d" % n, shop=shop, supplier=supplier, default_price=10 + n)
               for n in range(products)]
    order_list = [factories.create_random_order(customer=people[n % len(people)], products=catalog[:2], shop=shop,
                                                random_products=False) for n in range(orders)]
    MailchimpSyncItem.objects.all().delete()
    shop_settings.enabled = True
    shop_settings.save()
    return people, catalog, order_list, group_list


@pytest.mark.django_db
def test_full_sync_sends_everything_in_batches(initialized, emulator):
    people, catalog, orders, groups = build_shop(initialized)
    run = fullsync.run_full_sync(initialized.shop_id)
    assert run.status == FullSyncStatus.FINISHED, run.error
    state = emulator.snapshot()
    store = state["stores"][initialized.store_id]
    for contact in people:
        member = member_of(emulator, initialized.audience_id, contact.email)
        assert member["status"] == ("subscribed" if contact.marketing_permission else "transactional")
        assert str(contact.pk) in store["customers"]
    assert {str(o.pk) for o in orders} == set(store["orders"])
    assert not MailchimpSyncItem.objects.exclude(status=SyncStatus.SYNCED).exists()
    assert store["is_syncing"] is False
    assert len(state["batches"]) >= 3



def writes_since(log_id):
    """API writes logged after ``log_id``: (operation, path) of each PUT/POST/PATCH/DELETE."""
    from shuup_mailchimp.models import MailchimpLogEntry

    rows = MailchimpLogEntry.objects.filter(pk__gt=log_id).exclude(method__in=["", "GET"])
    return list(rows.values_list("operation", "path"))


def last_log_id():
    from shuup_mailchimp.models import MailchimpLogEntry

    return MailchimpLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def archived_operation_ids(emulator):
    """Every operation id Mailchimp ran, over all batches (read back from the archives)."""
    import io
    import json
    import tarfile

    ids = []
    for data in emulator.batch_archives.values():
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar.getmembers():
                ids.extend(r["operation_id"] for r in json.loads(tar.extractfile(member).read()))
    return ids


def assert_mailchimp_matches(emulator, shop_settings, people, orders):
    store = emulator.snapshot()["stores"][shop_settings.store_id]
    for contact in people:
        contact.refresh_from_db()
        member = member_of(emulator, shop_settings.audience_id, contact.email)
        assert member["status"] == ("subscribed" if contact.marketing_permission else "transactional"), contact.email
        assert member["merge_fields"]["FNAME"] == contact.first_name
        assert store["customers"][str(contact.pk)]["email_address"] == contact.email
    assert {str(o.pk) for o in orders} == set(store["orders"])
    assert not store["is_syncing"]


@pytest.mark.django_db
def test_members_get_their_groups_as_interests_and_items_their_state(initialized, emulator):
    people, _catalog, _orders, groups = build_shop(initialized)
    fullsync.run_full_sync(initialized.shop_id)
    category = next(iter(emulator.snapshot()["lists"][initialized.audience_id]["interest_categories"].values()))
    names = {i["id"]: i["name"] for i in category["interests"].values()}
    from shuup_mailchimp.sync.interests import group_name

    for contact in people:
        member = member_of(emulator, initialized.audience_id, contact.email)
        chosen = {names[i] for i, on in member["interests"].items() if on}
        assert chosen == {group_name(g) for g in contact.groups.filter(shop=initialized.shop)}
        item = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk)
        assert item.state["member_status"] == member["status"]
        assert item.state["permission"] == contact.marketing_permission
        assert item.state["email"] == contact.email and item.remote_id == str(contact.pk) and item.fingerprint


@pytest.mark.django_db
def test_few_requests_and_no_per_record_writes(initialized, emulator, settings):
    settings.SHUUP_MAILCHIMP_FULL_SYNC_BATCH_SIZE = 1000
    settings.SHUUP_MAILCHIMP_FULL_SYNC_CHUNK_SIZE = 500
    build_shop(initialized, contacts=30, products=4, orders=6)
    since = last_log_id()
    run = fullsync.run_full_sync(initialized.shop_id)
    operations = sorted({op for op, _path in writes_since(since)})
    # the groups' interests, the store's is_syncing flag and batches: no member / customer / order call
    assert operations == ["batches.create", "interests.create", "stores.update"], operations
    assert run.requests <= 3 * 3 + 4  # per batch: submit, poll, download; plus the store flag and interests


@pytest.mark.django_db
def test_second_full_sync_sends_no_write_operations(initialized, emulator):
    build_shop(initialized)
    fullsync.run_full_sync(initialized.shop_id)
    batches_before = len(emulator.batches)
    writes_before = emulator.stats["writes"]
    run = fullsync.run_full_sync(initialized.shop_id)
    assert run.status == FullSyncStatus.FINISHED and run.pk != MailchimpFullSync.objects.order_by("pk").first().pk
    assert len(emulator.batches) == batches_before  # nothing to send: no batch at all
    assert emulator.stats["writes"] == writes_before  # not even the store's is_syncing flag
    counts = run.counts
    assert counts["contact"]["unchanged"] == 8 and counts["product"]["unchanged"] == 3
    assert counts["order"]["unchanged"] == 4 and not counts["contact"].get("sent")


@pytest.mark.django_db
def test_incremental_sync_right_after_sends_nothing_then_only_the_change(initialized, emulator):
    people, _catalog, orders, _groups = build_shop(initialized)
    fullsync.run_full_sync(initialized.shop_id)
    from shuup_mailchimp.sync.backfill import record_everything

    record_everything(initialized.shop_id)  # everything due again, as after a reinstall
    since = last_log_id()
    summary = process_due(shop_id=initialized.shop_id)
    assert summary.total >= 15 and summary.synced == 0 and not summary.failed
    assert writes_since(since) == []
    people[0].first_name = "Changed"
    people[0].save()
    assert sorted(op for op, _path in writes_since(since)) == ["customers.upsert", "members.upsert"]
    assert member_of(emulator, initialized.audience_id, people[0].email)["merge_fields"]["FNAME"] == "Changed"


class Interrupt(Exception):
    pass


def interrupt_after(n):
    def hook(submitted):
        if submitted >= n:
            raise Interrupt("stopped after %d batches" % n)
    return hook


@pytest.mark.django_db
@pytest.mark.parametrize("batches_before", [1, 2])
def test_interrupted_full_sync_continues_without_resending_finished_parts(initialized, emulator, batches_before):
    people, _catalog, orders, _groups = build_shop(initialized, contacts=12, products=3, orders=5)
    with pytest.raises(Interrupt):
        fullsync.run_full_sync(initialized.shop_id, on_batch_submitted=interrupt_after(batches_before))
    run = MailchimpFullSync.objects.get()
    assert run.status == FullSyncStatus.INTERRUPTED and "stopped after %d batches" % batches_before in run.error
    assert run.active_shop is None and not run.store_flagged
    assert emulator.snapshot()["stores"][initialized.store_id]["is_syncing"] is False  # set back at once
    submitted_before = set(MailchimpSyncBatch.objects.values_list("remote_id", flat=True))
    assert len(submitted_before) >= batches_before  # and the one on its way, when Mailchimp took it

    resumed = fullsync.run_full_sync(initialized.shop_id)
    assert resumed.pk == run.pk and resumed.status == FullSyncStatus.FINISHED
    assert_mailchimp_matches(emulator, initialized, people, orders)
    ran = archived_operation_ids(emulator)
    assert len(ran) == len(set(ran)) == 2 * 12 + 3 + 5  # every operation once: nothing re-sent
    # the scan continued after the pages of the batches sent: none read again (done = total, nothing "busy")
    for kind in fullsync.runs.KINDS:
        counts = fullsync.runs.kind_counts(resumed, kind)
        assert counts["done"] == counts["total"] == counts["synced"] and not counts["busy"], (kind, counts)
    assert not MailchimpSyncItem.objects.exclude(status=SyncStatus.SYNCED).exists()
    # the two batches of the first sitting were applied, not sent again
    assert set(MailchimpSyncBatch.objects.filter(status=BatchStatus.APPLIED).values_list(
        "remote_id", flat=True)) >= submitted_before


@pytest.mark.django_db
def test_a_killed_full_sync_is_taken_over_and_the_store_flag_set_back(initialized, emulator, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from shuup_mailchimp.sync.fullsync import runs
    from shuup_mailchimp.sync.fullsync.engine import FullSync

    people, _catalog, orders, _groups = build_shop(initialized)
    monkeypatch.setattr(FullSync, "_interrupt", lambda self, exc: None)  # killed: no chance to say so
    with pytest.raises(Interrupt):
        fullsync.run_full_sync(initialized.shop_id, on_batch_submitted=interrupt_after(1))
    monkeypatch.undo()
    run = MailchimpFullSync.objects.get()
    assert run.status == FullSyncStatus.RUNNING and run.store_flagged
    assert emulator.snapshot()["stores"][initialized.store_id]["is_syncing"] is True
    with pytest.raises(fullsync.FullSyncBusy, match="already running") as busy:  # alive, as far as anyone knows
        fullsync.run_full_sync(initialized.shop_id)
    # the refusal says when a killed run counts as stopped and is continued
    dead_at = timezone.localtime(run.heartbeat_at + timedelta(seconds=runs.STALE_AFTER)).strftime("%H:%M:%S")
    assert "counts as stopped after %d s without news (at %s" % (runs.STALE_AFTER, dead_at) in str(busy.value)
    MailchimpFullSync.objects.update(heartbeat_at=timezone.now() - timedelta(seconds=runs.STALE_AFTER + 1))
    from django.core.management import call_command

    # the next `mailchimp_sync` of the shop, whatever its options, finds the dead run and sets the flag back
    call_command("mailchimp_sync", "--shop", str(initialized.shop_id), stdout=open("/dev/null", "w"))
    assert emulator.snapshot()["stores"][initialized.store_id]["is_syncing"] is False
    run.refresh_from_db()
    assert run.status == FullSyncStatus.INTERRUPTED and not run.store_flagged
    resumed = fullsync.run_full_sync(initialized.shop_id)
    assert resumed.pk == run.pk and resumed.status == FullSyncStatus.FINISHED
    assert_mailchimp_matches(emulator, initialized, people, orders)
    ran = archived_operation_ids(emulator)
    assert len(ran) == len(set(ran))


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["expired", "cancelled"])
def test_a_batch_whose_results_are_lost_is_sent_again(initialized, emulator, how):
    people, _catalog, orders, _groups = build_shop(initialized)
    if how == "expired":
        emulator.batch_processing = "manual"  # run here, so the first batch surely finishes under the TTL of 0

        def hook(submitted):
            emulator.batch_archive_ttl = 0 if submitted == 1 else None  # its link dead at once; the others' not
            emulator.process_batches()
    else:
        emulator.batch_processing = "manual"

        def hook(submitted):
            if submitted == 1:  # someone deletes (cancels) the first batch before it runs
                emulator.batches.pop(next(iter(emulator.batches)))
                emulator.batch_processing = "background"
            emulator.process_batches()

    run = fullsync.run_full_sync(initialized.shop_id, on_batch_submitted=hook)
    assert run.status == FullSyncStatus.FINISHED
    lost = MailchimpSyncBatch.objects.filter(status=BatchStatus.RESENT)
    assert lost.exists() and all("went again in batch" in row.note for row in lost)
    ran = archived_operation_ids(emulator)
    if how == "expired":
        assert len(ran) > len(set(ran))  # it ran, but nobody could read its results: its operations ran again
    else:
        assert sorted(ran) == sorted(set(ran))  # it never ran: its operations ran once, in the new batch
    assert_mailchimp_matches(emulator, initialized, people, orders)
    assert not MailchimpSyncItem.objects.exclude(status=SyncStatus.SYNCED).exists()


@pytest.mark.django_db
def test_failed_operations_become_failed_items_with_mailchimps_message(initialized, emulator):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    build_shop(initialized, contacts=3, orders=1)
    bad = PersonContact.objects.create(first_name="Bad", last_name="Address", email="bad@example.com",
                                       marketing_permission=True)
    initialized.enabled = False
    initialized.save()
    bad.add_to_shop(initialized.shop)
    MailchimpSyncItem.objects.all().delete()
    initialized.enabled = True
    initialized.save()
    with pytest.raises(CommandError, match="1 items failed"):
        call_command("mailchimp_sync", "--shop", str(initialized.shop_id), "--full", stdout=open("/dev/null", "w"),
                     stderr=open("/dev/null", "w"))
    item = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=bad.pk)
    assert item.status == SyncStatus.FAILED and item.last_error_status == 400
    assert item.last_error_title == "Invalid Resource" and "looks fake or invalid" in item.last_error_detail
    run = MailchimpFullSync.objects.get()
    assert run.failures[0]["object_id"] == bad.pk and run.failures[0]["final"]
    assert MailchimpSyncItem.objects.filter(status=SyncStatus.SYNCED, kind=SyncKind.CONTACT).count() == 3


@pytest.mark.django_db
def test_consent_a_full_sync_never_subscribes_without_fresh_permission(initialized, emulator):
    """Synced contacts are decided from their state; new ones get status_if_new only."""
    people, _catalog, _orders, _groups = build_shop(initialized, contacts=3, orders=0)
    fullsync.run_full_sync(initialized.shop_id)
    opted_out, withdrawn, newcomer = people[1], people[2], None
    emulator.unsubscribe_as_person(initialized.audience_id, opted_out.email)  # the footer link
    initialized.enabled = False  # changes made while the integration was off: nothing recorded
    initialized.save()
    withdrawn.marketing_permission = False
    withdrawn.save()
    opted_out.first_name = "Renamed"
    opted_out.save()
    # an address Mailchimp has as unsubscribed by the person, unknown to this shop until now
    emulator.subscribe_as_person(initialized.audience_id, "known@mailbox.org")
    emulator.unsubscribe_as_person(initialized.audience_id, "known@mailbox.org")
    newcomer = PersonContact.objects.create(first_name="New", last_name="Comer", email="known@mailbox.org",
                                            marketing_permission=True)
    newcomer.add_to_shop(initialized.shop)
    initialized.enabled = True
    initialized.save()
    fullsync.run_full_sync(initialized.shop_id)
    member = member_of(emulator, initialized.audience_id, opted_out.email)
    assert member["status"] == "unsubscribed" and member["merge_fields"]["FNAME"] == "Renamed"
    assert member_of(emulator, initialized.audience_id, withdrawn.email)["status"] == "unsubscribed"
    assert member_of(emulator, initialized.audience_id, newcomer.email)["status"] == "unsubscribed"
    state = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=newcomer.pk).state
    assert state["member_status"] == "unsubscribed" and state["permission"] is True


@pytest.mark.django_db
def test_a_save_while_its_batch_is_out_is_sent_again_after(initialized, emulator):
    people, _catalog, _orders, _groups = build_shop(initialized, contacts=4, orders=0, products=1)
    emulator.batch_processing = "manual"

    def hook(submitted):
        if submitted == 1:  # the contacts' batch is at Mailchimp: a save now must not be lost
            people[0].first_name = "Newer"
            people[0].save()
        emulator.process_batches()

    fullsync.run_full_sync(initialized.shop_id, on_batch_submitted=hook)
    item = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=people[0].pk)
    assert item.status == SyncStatus.SYNCED
    assert member_of(emulator, initialized.audience_id, people[0].email)["merge_fields"]["FNAME"] == "Newer"


@pytest.mark.django_db
def test_two_full_syncs_of_one_shop_at_once_are_refused(initialized):
    from django.db import IntegrityError, transaction

    from shuup_mailchimp.sync.fullsync.runs import open_run

    run = open_run(initialized.shop_id, queue=True)
    with pytest.raises(fullsync.FullSyncBusy, match="already queued"):
        open_run(initialized.shop_id)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says no, not a read
        MailchimpFullSync.objects.create(shop_id=initialized.shop_id, active_shop=initialized.shop_id)
    assert MailchimpFullSync.objects.filter(active_shop=initialized.shop_id).get() == run


@pytest.mark.django_db
def test_dry_run_tells_what_would_be_sent(initialized, emulator):
    from io import StringIO

    from django.core.management import call_command

    build_shop(initialized)
    out = StringIO()
    call_command("mailchimp_sync", "--shop", str(initialized.shop_id), "--full", "--dry-run", stdout=out)
    assert "contacts  would send 8 (16 operations)" in out.getvalue()
    assert "orders    would send 4" in out.getvalue()
    assert not emulator.batches and not MailchimpSyncItem.objects.filter(kind=SyncKind.CONTACT).exists()


@pytest.mark.django_db
def test_command_summary_and_plain_progress_lines(initialized, emulator):
    from io import StringIO

    from django.core.management import call_command

    build_shop(initialized)
    out, err = StringIO(), StringIO()
    call_command("mailchimp_sync", "--shop", str(initialized.shop_id), "--all", stdout=out, stderr=err)
    text, run = out.getvalue(), MailchimpFullSync.objects.get()
    assert "Full sync #%d finished" % run.pk in text and "contacts       8 in the shop: 8 sent, 8 synced" in text
    assert "Full sync #%d: contacts" % run.pk in err.getvalue()  # not a terminal: plain lines, no bar


@pytest.mark.django_db
def test_since_limits_the_order_history(initialized, emulator):
    from datetime import timedelta

    from shuup.core.models import Order

    _people, _catalog, orders, _groups = build_shop(initialized)
    from django.utils import timezone

    Order.objects.update(order_date=timezone.now())
    Order.objects.filter(pk=orders[0].pk).update(order_date=timezone.now() - timedelta(days=400))
    since = timezone.now() - timedelta(days=30)
    fullsync.run_full_sync(initialized.shop_id, since=since)
    assert set(emulator.snapshot()["stores"][initialized.store_id]["orders"]) == {str(o.pk) for o in orders[1:]}


@pytest.mark.django_db
def test_a_transient_error_inside_a_batch_is_retried_later_with_backoff(initialized, emulator):
    people, _catalog, _orders, _groups = build_shop(initialized, contacts=3, orders=0, products=1)
    from shuup_mailchimp.client.members import subscriber_hash

    unlucky = subscriber_hash(people[1].email)
    dispatch = emulator.dispatch

    def flaky(ctx):
        if ctx.in_batch and ctx.path.endswith(unlucky):
            return 503, {"type": "", "title": "Service Unavailable", "status": 503, "detail": "Try later.",
                         "instance": ""}
        return dispatch(ctx)

    emulator.dispatch = flaky
    run = fullsync.run_full_sync(initialized.shop_id)
    item = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=people[1].pk)
    assert item.status == SyncStatus.PENDING and item.attempts == 1 and item.last_error_status == 503
    assert item.next_attempt_at is not None and run.counts["contact"]["retrying"] == 1
    assert run.failures[0]["final"] is False
    emulator.dispatch = dispatch
    summary = process_due(shop_id=initialized.shop_id, ignore_backoff=True)
    assert summary.synced == 1
    assert member_of(emulator, initialized.audience_id, people[1].email) is not None


@pytest.mark.django_db
def test_a_compliance_refusal_in_a_batch_is_decided_again_one_by_one(initialized, emulator):
    """Fresh permission sends ``subscribed``; a person who unsubscribed in Mailchimp meanwhile makes
    Mailchimp refuse it, and the one-by-one path asks for a re-confirmation instead."""
    people, _catalog, _orders, _groups = build_shop(initialized, contacts=1, orders=0, products=0, groups=0)
    contact = people[0]  # n == 0: no marketing permission, a transactional member
    fullsync.run_full_sync(initialized.shop_id)
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "transactional"
    emulator.unsubscribe_as_person(initialized.audience_id, contact.email)
    initialized.enabled = False
    initialized.save()
    contact.marketing_permission = True  # given in the shop while the integration was off
    contact.save()
    initialized.enabled = True
    initialized.save()
    run = fullsync.run_full_sync(initialized.shop_id)
    assert run.counts["contact"]["per_record"] == 1
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"
    assert MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT, object_id=contact.pk).status == SyncStatus.SYNCED


@pytest.mark.django_db
def test_a_stuck_batch_is_cancelled_and_sent_again(initialized, emulator, monkeypatch):
    from shuup_mailchimp.sync.fullsync import pipeline

    monkeypatch.setattr(pipeline, "STALLED_AFTER", 0.05)
    people, _catalog, orders, _groups = build_shop(initialized)
    emulator.batch_processing = "manual"  # the first batch is never run ...

    def hook(submitted):
        emulator.batch_processing = "background"  # ... the later ones are

    run = fullsync.run_full_sync(initialized.shop_id, on_batch_submitted=hook)
    assert run.status == FullSyncStatus.FINISHED
    first = MailchimpSyncBatch.objects.order_by("pk").first()
    assert first.status == BatchStatus.RESENT and first.remote_id not in emulator.batches  # cancelled
    assert_mailchimp_matches(emulator, initialized, people, orders)
    assert not MailchimpSyncItem.objects.exclude(status=SyncStatus.SYNCED).exists()


@pytest.mark.django_db
def test_a_batchs_scan_cursor_is_past_every_object_it_carries(initialized, emulator):
    """A run continued after a kill starts after the cursor of the last batch Mailchimp took: a cursor
    behind that batch's own objects reads them again (found by a SIGKILL audit: 500 contacts counted
    "left to another worker" and the done counts past the totals)."""
    build_shop(initialized, contacts=12, products=3, orders=5)
    fullsync.run_full_sync(initialized.shop_id)
    rows = list(MailchimpSyncBatch.objects.exclude(cursor=None).order_by("pk"))
    assert len(rows) >= 4
    for row in rows:
        carried = [int(key) for key in row.meta["objects"]]
        assert row.cursor >= max(carried), (row.kind, row.cursor, sorted(carried))
