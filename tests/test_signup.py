"""Newsletter sign-up: the xtheme box and the registration checkbox record consent for the outbox
(no API call in the request), CSRF protected, rate limited, honeypot; double opt-in per shop."""
import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse
from shuup.core.models import PersonContact

from shuup_mailchimp.enums import SyncKind, SyncStatus
from shuup_mailchimp.models import MailchimpSignup, MailchimpSyncItem
from shuup_mailchimp.plugins import NewsletterSignupPlugin
from shuup_mailchimp.sync.processing import process_due
from shuup_mailchimp.sync.signup import sign_consent

from .conftest import member_of

TEXT = "Yes, email me the Spring newsletter. I can unsubscribe at any time."


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def signup(client, email, text=TEXT, **extra):
    data = {"email": email, "consent": "1", "consent_ref": sign_consent(text), "next": "/", "website": ""}
    data.update(extra)
    return client.post(reverse("shuup:mailchimp_signup"), data)


def render_box(config=None, user=None):
    """The box as a page of the shop renders it (request with shop, user and customer)."""
    from django.contrib.auth.models import AnonymousUser
    from shuup.core.models import AnonymousContact, Shop, get_person_contact

    request = RequestFactory().get("/")
    request.shop = Shop.objects.get()
    request.user = user or AnonymousUser()
    request.customer = get_person_contact(user) if user else AnonymousContact()
    return NewsletterSignupPlugin(config or {}).render({"request": request})


@pytest.mark.django_db
def test_the_box_shows_the_merchants_consent_text_with_csrf_and_a_honeypot(initialized):
    html = render_box({"title": "Newsletter", "consent_text": TEXT})
    assert TEXT in html and "csrfmiddlewaretoken" in html and 'name="website"' in html
    assert 'action="%s"' % reverse("shuup:mailchimp_signup") in html
    initialized.signup_consent_text = "The shop's own words."
    initialized.save()
    assert "The shop&#39;s own words." in render_box() or "The shop's own words." in render_box()
    initialized.enabled = False
    initialized.save()
    assert "<form" not in render_box()  # no Mailchimp, no box


@pytest.mark.django_db
def test_a_signup_with_double_opt_in_lands_pending(initialized, emulator):
    assert initialized.double_opt_in  # the default
    response = signup(Client(), "new.reader@mailbox.org")
    assert response.status_code == 200
    assert "confirmation email" in response.content.decode("utf-8")
    contact = PersonContact.objects.get(email="new.reader@mailbox.org")
    assert contact.marketing_permission and contact.in_shop(initialized.shop)
    record = MailchimpSignup.objects.get(contact=contact)
    assert (record.consent_text, record.source, record.double_opt_in) == (TEXT, "signup_box", True)
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"
    contact.first_name = "Nina"  # a later edit leaves the confirmation to the person
    contact.save()
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"


@pytest.mark.django_db
def test_a_signup_without_double_opt_in_lands_subscribed(initialized, emulator):
    initialized.double_opt_in = False
    initialized.save()
    response = signup(Client(), "direct.reader@mailbox.org")
    assert "now subscribed" in response.content.decode("utf-8")
    assert member_of(emulator, initialized.audience_id, "direct.reader@mailbox.org")["status"] == "subscribed"


@pytest.mark.django_db
def test_a_known_transactional_customer_who_signs_up_is_asked_to_confirm(initialized, emulator):
    buyer = PersonContact.objects.create(email="buyer@mailbox.org", first_name="Bo", marketing_permission=False)
    buyer.add_to_shop(initialized.shop)
    assert member_of(emulator, initialized.audience_id, buyer.email)["status"] == "transactional"
    signup(Client(), "Buyer@mailbox.org")
    buyer.refresh_from_db()
    assert buyer.marketing_permission
    assert PersonContact.objects.filter(email__iexact="buyer@mailbox.org").count() == 1  # no second contact
    assert member_of(emulator, initialized.audience_id, buyer.email)["status"] == "pending"


@pytest.mark.django_db
def test_a_member_mailchimp_already_has_is_read_first(initialized, emulator):
    # A guest order made them a member earlier (no contact in Shuup): the sign-up must not pend a subscriber,
    # and must ask a transactional one to confirm.
    emulator.subscribe_as_person(initialized.audience_id, "already@mailbox.org")
    signup(Client(), "already@mailbox.org")
    assert member_of(emulator, initialized.audience_id, "already@mailbox.org")["status"] == "subscribed"


@pytest.mark.django_db
def test_someone_who_unsubscribed_in_mailchimp_and_signs_up_again_is_asked_to_confirm(initialized, emulator):
    initialized.double_opt_in = False  # even so: only their own click lifts their unsubscribe
    initialized.save()
    reader = PersonContact.objects.create(email="back.again@mailbox.org", marketing_permission=True)
    reader.add_to_shop(initialized.shop)
    emulator.unsubscribe_as_person(initialized.audience_id, reader.email)
    signup(Client(), reader.email)
    assert member_of(emulator, initialized.audience_id, reader.email)["status"] == "pending"


@pytest.mark.django_db
def test_the_request_makes_no_api_call(initialized, emulator, settings, monkeypatch):
    from shuup_mailchimp import runner

    settings.SHUUP_MAILCHIMP_DISPATCH = "background"
    monkeypatch.setattr(runner, "wake", lambda: None)  # the background thread would send it after the response
    requests = emulator.stats["requests"]
    assert signup(Client(), "later@mailbox.org").status_code == 200
    assert emulator.stats["requests"] == requests
    item = MailchimpSyncItem.objects.get(kind=SyncKind.CONTACT,
                                         object_id=PersonContact.objects.get(email="later@mailbox.org").pk)
    assert item.status == SyncStatus.PENDING
    process_due(shop_id=initialized.shop_id)
    assert member_of(emulator, initialized.audience_id, "later@mailbox.org")["status"] == "pending"


@pytest.mark.django_db
def test_csrf_is_required(initialized):
    response = signup(Client(enforce_csrf_checks=True), "csrf@mailbox.org")
    assert response.status_code == 403
    assert not PersonContact.objects.filter(email="csrf@mailbox.org").exists()


@pytest.mark.django_db
def test_signups_are_rate_limited_per_ip(initialized, emulator, settings):
    settings.SHUUP_MAILCHIMP_SIGNUP_RATE_LIMIT = (2, 600)
    client = Client()
    assert signup(client, "one@mailbox.org").status_code == 200
    assert signup(client, "two@mailbox.org").status_code == 200
    refused = signup(client, "three@mailbox.org")
    assert refused.status_code == 429 and "try again later" in refused.content.decode("utf-8")
    assert not PersonContact.objects.filter(email="three@mailbox.org").exists()
    other_ip = signup(Client(REMOTE_ADDR="10.1.2.3"), "four@mailbox.org")
    assert other_ip.status_code == 200


@pytest.mark.django_db
def test_a_bot_filling_the_honeypot_is_thanked_and_ignored(initialized, emulator):
    response = signup(Client(), "bot@mailbox.org", website="https://spam.example")
    assert response.status_code == 200 and "Thank you" in response.content.decode("utf-8")
    assert not PersonContact.objects.filter(email="bot@mailbox.org").exists()
    assert not MailchimpSignup.objects.exists()


@pytest.mark.django_db
def test_consent_must_be_ticked_and_its_text_untouched(initialized, emulator):
    unticked = signup(Client(), "x@mailbox.org", consent="")
    assert unticked.status_code == 400
    forged = signup(Client(), "y@mailbox.org", consent_ref=sign_consent(TEXT)[:-3] + "abc")
    assert forged.status_code == 400
    ajax = Client().post(reverse("shuup:mailchimp_signup"), {"email": "z@mailbox.org", "consent": "1",
                                                              "consent_ref": sign_consent(TEXT)},
                         HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert ajax.status_code == 200 and ajax.json()["ok"] is True
    assert not PersonContact.objects.filter(email__in=["x@mailbox.org", "y@mailbox.org"]).exists()


@pytest.mark.django_db
def test_no_signup_where_mailchimp_is_off(initialized):
    initialized.enabled = False
    initialized.save()
    assert signup(Client(), "off@mailbox.org").status_code == 404


@pytest.mark.django_db
def test_a_logged_in_customer_signs_up_as_themselves(initialized, emulator):
    from shuup.core.models import get_person_contact
    from shuup.testing import factories

    user = factories.create_random_user(email="member@mailbox.org")
    contact = get_person_contact(user)
    contact.email = "member@mailbox.org"
    contact.save()
    client = Client()
    client.force_login(user)
    assert 'value="member@mailbox.org"' in render_box(user=user)
    signup(client, "member@mailbox.org")
    contact.refresh_from_db()
    assert contact.marketing_permission
    assert MailchimpSignup.objects.get().contact_id == contact.pk


@pytest.mark.django_db
def test_the_registration_checkbox(initialized, emulator):
    url = reverse("shuup:registration_register")
    assert "mailchimp_signup" not in Client().get(url).content.decode("utf-8")  # off by default
    initialized.signup_on_registration = True
    initialized.signup_consent_text = TEXT
    initialized.save()
    page = Client().get(url).content.decode("utf-8")
    assert 'name="mailchimp_signup"' in page and TEXT in page
    form = {"username": "reg-user", "email": "registered@mailbox.org", "password1": "Secret-pw-123",
            "password2": "Secret-pw-123"}
    Client().post(url, dict(form, mailchimp_signup="on"))
    contact = PersonContact.objects.get(email="registered@mailbox.org")
    assert contact.marketing_permission
    assert MailchimpSignup.objects.get(contact=contact).source == "registration"
    assert member_of(emulator, initialized.audience_id, contact.email)["status"] == "pending"
    Client().post(url, dict(form, username="reg-two", email="unticked@mailbox.org"))
    assert not PersonContact.objects.get(email="unticked@mailbox.org").marketing_permission
    assert MailchimpSignup.objects.count() == 1
