"""Who may see and do what: module permissions, the resend permission, and shop isolation.

Staff of shop A, with every Mailchimp permission, gets 404 on every page and action of shop B
and changes nothing there; staff without the module's permissions is refused everywhere.
"""
import json

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from shuup.admin.utils.permissions import set_permissions_for_group
from shuup.testing import factories

from shuup_mailchimp.admin_module import MailchimpAdminModule, access
from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpShopSettings, MailchimpSyncItem

from .conftest import API_KEY

PAGES = ["", "items/", "log/"]
ACTIONS = ["check-connection/", "initialize-store/", "disconnect/", "resend-failed/", "queue-contact/"]
ALL_PERMISSIONS = None


def module_permissions():
    module = MailchimpAdminModule()
    from shuup.admin.utils.permissions import get_permissions_from_urls

    perms = set(get_permissions_from_urls(module.get_urls())) | set(module.get_extra_permissions())
    return perms | set(module.get_required_permissions())


@pytest.fixture(autouse=True)
def _fresh_active_shops():
    from shuup_mailchimp.sync.outbox import forget_active_shops

    forget_active_shops()


@pytest.fixture
def two_shops(db, audience):
    shop_a = factories.get_default_shop()
    shop_b = factories.get_shop(identifier="shop-b", domain="shop-b.example-shop.com", name="Shop B")
    out = {}
    for shop in (shop_a, shop_b):
        settings = MailchimpShopSettings.objects.create(shop=shop, api_key=API_KEY, audience_id=audience["id"],
                                                        enabled=True)
        failed = MailchimpSyncItem.objects.create(shop=shop, kind=SyncKind.ORDER, object_id=1000 + shop.pk,
                                                  status=SyncStatus.FAILED, last_error_title="Boom")
        out[shop.identifier] = (shop, settings, failed)
    return out


def staff_client(shop, permissions):
    user = factories.create_random_user(is_staff=True)
    shop.staff_members.add(user)
    group = Group.objects.create(name="mailchimp-%s" % user.pk)
    set_permissions_for_group(group, set(permissions))
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client, user


def url(shop, tail=""):
    return "/sa/mailchimp/shop/%d/%s" % (shop.pk, tail)


def test_module_lists_its_permissions_with_help_texts():
    module = MailchimpAdminModule()
    perms = module_permissions()
    assert {access.RESEND, access.SYNC_ITEMS, access.DASHBOARD, access.CHECK_CONNECTION, access.DISCONNECT,
            access.INITIALIZE_STORE, access.LOG, access.INTEGRATIONS, access.EDIT_SETTINGS,
            access.CONTACT_STATUS} <= perms
    assert set(module.get_permissions_help_texts()) >= set(access.HELP_TEXTS)


def test_staff_of_shop_a_cannot_see_or_touch_shop_b(two_shops, emulator):
    shop_a, _settings_a, failed_a = two_shops["default"]
    shop_b, settings_b, failed_b = two_shops["shop-b"]
    client, _user = staff_client(shop_a, module_permissions())

    assert client.get(url(shop_a)).status_code == 200
    assert client.get(url(shop_a, "items/%d/" % failed_a.pk)).status_code == 200
    for tail in PAGES + ["items/%d/" % failed_b.pk]:
        assert client.get(url(shop_b, tail)).status_code == 404, tail
    # Shop B's item through shop A's URL does not exist either.
    assert client.get(url(shop_a, "items/%d/" % failed_b.pk)).status_code == 404
    for tail in ACTIONS:
        assert client.post(url(shop_b, tail), {"ids": [failed_b.pk], "contact": 1}).status_code == 404, tail
    # The mass action of shop A's list cannot reach shop B's items.
    response = client.post(url(shop_a, "items/"), json.dumps({"action": "mass_action_mailchimp_resend",
                                                              "values": [failed_b.pk]}),
                           content_type="application/json")
    assert response.status_code == 200
    failed_b.refresh_from_db()
    settings_b.refresh_from_db()
    assert failed_b.status == SyncStatus.FAILED and settings_b.enabled and not settings_b.store_id
    assert emulator.snapshot()["stores"] == {}

    grid = client.get("/sa/mailchimp/").content.decode("utf-8")
    assert 'data-shop="%d"' % shop_a.pk in grid and 'data-shop="%d"' % shop_b.pk not in grid
    assert "Shop B" not in grid


def test_staff_without_the_module_permissions_is_refused_everywhere(two_shops, emulator):
    shop_a, settings_a, failed_a = two_shops["default"]
    client, _user = staff_client(shop_a, [])
    for tail in PAGES + ["items/%d/" % failed_a.pk]:
        response = client.get(url(shop_a, tail))
        assert response.status_code in (302, 400, 403), tail
        assert b"mailchimp-status-counts" not in response.content
    assert client.get("/sa/mailchimp/").status_code in (302, 400, 403)
    for tail in ACTIONS:
        assert client.post(url(shop_a, tail), {"ids": [failed_a.pk]}).status_code in (302, 400, 403), tail
    failed_a.refresh_from_db()
    settings_a.refresh_from_db()
    assert failed_a.status == SyncStatus.FAILED and settings_a.enabled and not settings_a.store_id
    # Nor does the module show up elsewhere: the shop's Mailchimp tab and the contact section.
    contact = factories.create_random_person(locale="en_US")
    contact.add_to_shop(shop_a)
    contact_page = client.get("/sa/contacts/%d/" % contact.pk)
    assert b"mailchimp-contact-status" not in contact_page.content


def test_resend_needs_its_own_permission(two_shops, emulator):
    shop_a, _settings_a, failed_a = two_shops["default"]
    client, _user = staff_client(shop_a, module_permissions() - {access.RESEND})
    assert client.get(url(shop_a, "items/")).status_code == 200
    response = client.post(url(shop_a, "resend-failed/"))
    assert response.status_code in (302, 400, 403)
    response = client.post(url(shop_a, "items/"), json.dumps({"action": "mass_action_mailchimp_resend",
                                                              "values": [failed_a.pk]}),
                           content_type="application/json")
    assert response.status_code == 403
    failed_a.refresh_from_db()
    assert failed_a.status == SyncStatus.FAILED
    page = client.get(url(shop_a)).content.decode("utf-8")
    assert "Resend all failed" not in page  # the button is not offered either


def test_contact_section_shows_only_the_users_shops(two_shops, emulator):
    shop_a, _settings_a, _failed = two_shops["default"]
    shop_b, _settings_b, _failed_b = two_shops["shop-b"]
    contact = factories.create_random_person(locale="en_US")
    contact.add_to_shop(shop_a)
    contact.add_to_shop(shop_b)
    for shop in (shop_a, shop_b):
        MailchimpSyncItem.objects.update_or_create(
            shop=shop, kind=SyncKind.CONTACT, object_id=contact.pk,
            defaults=dict(status=SyncStatus.SYNCED, state={"member_status": "subscribed", "permission": True,
                                                           "customer_id": "c-%d" % shop.pk}))
    client, _user = staff_client(shop_a, module_permissions() | {"contact.detail", "contact.list"})
    html = client.get("/sa/contacts/%d/" % contact.pk).content.decode("utf-8")
    assert "mailchimp-contact-status" in html
    assert 'data-shop="%d"' % shop_a.pk in html and 'data-shop="%d"' % shop_b.pk not in html
    assert "c-%d" % shop_a.pk in html and "c-%d" % shop_b.pk not in html


# --- every URL of both Mailchimp admin modules, read from the modules themselves -----------------
# (so a page or action added later is covered without editing this list)


def all_modules():
    from shuup_mailchimp.admin_module.campaigns import MailchimpCampaignsAdminModule

    return [MailchimpAdminModule(), MailchimpCampaignsAdminModule()]


def every_permission():
    from shuup.admin.utils.permissions import get_permissions_from_urls

    perms = set()
    for module in all_modules():
        perms |= set(get_permissions_from_urls(module.get_urls())) | set(module.get_extra_permissions())
        perms |= set(module.get_required_permissions())
    return perms


def every_url(shop, item):
    """(URL name, path) of each URL of the modules; ``shop_pk`` and ``pk`` filled in."""
    from shuup.utils.django_compat import reverse

    out = []
    for module in all_modules():
        for pattern in module.get_urls():
            groups = pattern.pattern.regex.groupindex
            kwargs = {k: v for k, v in (("shop_pk", shop.pk), ("pk", item.pk)) if k in groups}
            out.append((pattern.name, reverse("shuup_admin:%s" % pattern.name, kwargs=kwargs),
                        "shop_pk" in groups))
    return out


def untouched(shop, settings, failed, emulator):
    from shuup_mailchimp.models import MailchimpFullSync, MailchimpTaggedGroup

    failed.refresh_from_db()
    settings.refresh_from_db()
    return (failed.status == SyncStatus.FAILED and settings.enabled and not settings.store_id
            and not MailchimpFullSync.objects.filter(shop=shop).exists()
            and not MailchimpTaggedGroup.objects.filter(shop=shop).exists()
            and emulator.snapshot()["stores"] == {})


def test_every_shop_url_of_shop_b_is_404_for_staff_of_shop_a(two_shops, emulator):
    shop_a, _settings_a, failed_a = two_shops["default"]
    shop_b, settings_b, failed_b = two_shops["shop-b"]
    client, _user = staff_client(shop_a, every_permission() | {"shop.edit"})
    urls_b = [(name, path) for name, path, scoped in every_url(shop_b, failed_b) if scoped]
    assert len(urls_b) >= 17, urls_b  # 12 of the main module, 5 of the campaigns module
    # The same URLs of shop A are open to this user (the refusals below are about the shop, not a
    # missing permission): pages answer 200, actions redirect, POST-only actions refuse GET with 405.
    for name, path, scoped in every_url(shop_a, failed_a):
        assert client.get(path).status_code in (200, 302, 405), (name, path)
    for name, path in urls_b:
        assert client.get(path).status_code in (403, 404), ("GET", name, path)
        response = client.post(path, {"ids": [failed_b.pk], "contact": 1, "groups": [1]})
        assert response.status_code in (403, 404), ("POST", name, path)
    # Shop B's edit page, with its Mailchimp tab, is not this user's either.
    assert client.get("/sa/shops/%d/" % shop_b.pk).status_code == 404
    response = client.post("/sa/shops/%d/" % shop_b.pk, {"mailchimp-enabled": "", "mailchimp-api_key": ""})
    assert response.status_code == 404
    assert untouched(shop_b, settings_b, failed_b, emulator)


def test_staff_without_the_module_permissions_is_refused_on_every_url(two_shops, emulator):
    shop_a, settings_a, failed_a = two_shops["default"]
    client, _user = staff_client(shop_a, {"shop.edit", "contact.detail"})
    urls = every_url(shop_a, failed_a)
    assert len(urls) >= 20, urls  # 13 + 7
    for name, path, _scoped in urls:
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code in (302, 400, 403), (method.__name__, name, path, response.status_code)
            if response.status_code == 302:  # Shuup's admin sends a refused user to the dashboard / login
                assert "mailchimp" not in response["Location"], (name, response["Location"])
    assert untouched(shop_a, settings_a, failed_a, emulator)
    # The shop's edit page (the user may edit the shop) has no Mailchimp tab for them.
    edit = client.get("/sa/shops/%d/" % shop_a.pk)
    assert edit.status_code == 200
    assert b'id="mailchimp-settings"' not in edit.content
