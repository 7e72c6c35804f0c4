"""The full sync reads a page of rows with a fixed number of queries: never one per row."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuup_mailchimp.enums import SyncKind
from shuup_mailchimp.sync.fullsync import plans, sources
from shuup_mailchimp.sync.interests import known_interest_ids

from .test_full_sync import build_shop, small_batches  # noqa: F401 (an autouse fixture)


def queries_of_page(shop_settings, kind, ids):
    ctx = plans.Context(shop_settings, known_interest_ids(shop_settings.shop_id), sources.default_language())
    with CaptureQueriesContext(connection) as captured:
        plan = plans.plan_page(kind, ctx, ids)
    assert len(plan.send) == len(ids)  # every object planned (nothing synced yet), none skipped
    return len(captured.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [SyncKind.CONTACT, SyncKind.PRODUCT, SyncKind.ORDER])
def test_a_page_costs_the_same_queries_whatever_its_size(initialized, emulator, kind):
    people, catalog, orders, _groups = build_shop(initialized, contacts=9, products=6, orders=6)
    ids = sources.next_ids(kind, initialized.shop_id, 0, 100)
    assert len(ids) >= 6
    queries_of_page(initialized, kind, ids[:1])  # warm Django's caches (content types, configuration)
    small = queries_of_page(initialized, kind, ids[:2])
    large = queries_of_page(initialized, kind, ids)
    assert large == small, "%d queries for %d rows, %d for 2" % (large, len(ids), small)
