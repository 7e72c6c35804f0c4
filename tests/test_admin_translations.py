"""en + fi: every string the Mailchimp admin shows is in the catalogues, translated into Finnish,
and a Finnish user sees Finnish pages."""
import os
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po
from django.test import Client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCALE = os.path.join(ROOT, "shuup_mailchimp", "locale")


def catalogue(lang):
    with open(os.path.join(LOCALE, lang, "LC_MESSAGES", "django.po"), "rb") as handle:
        return read_po(handle)


def test_every_admin_string_is_in_the_catalogue_and_translated_into_finnish(tmp_path):
    pot = str(tmp_path / "django.pot")
    env = dict(os.environ, PYTHONPATH=ROOT, DJANGO_SETTINGS_MODULE="tests.settings")
    subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "pybabel"), "extract", "-F", os.path.join(ROOT, "tools",
         "babel.cfg"), "--no-location", "-k", "ugettext", "-k", "ugettext_lazy", "-k", "ungettext:1,2", "-k",
         "pgettext:1c,2", "-o", pot, "."], cwd=ROOT, env=env, check=True, capture_output=True)
    with open(pot, "rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    finnish = {m.id: m.string for m in catalogue("fi") if m.id}
    missing = sorted(str(i) for i in wanted - set(finnish))
    assert not missing, "not in the catalogues (run `make makemessages`, then translate): %s" % missing
    untranslated = sorted(str(i) for i in wanted if not (finnish[i] if not isinstance(i, tuple) else all(finnish[i])))
    assert not untranslated, "no Finnish translation in shuup_mailchimp/locale/fi: %s" % untranslated
    assert wanted <= {m.id for m in catalogue("en") if m.id}


@pytest.mark.django_db
def test_a_finnish_user_sees_the_dashboard_in_finnish(shop, admin_user):
    mo = os.path.join(LOCALE, "fi", "LC_MESSAGES", "django.mo")
    if not os.path.exists(mo):
        pytest.fail("compiled catalogue missing: run `make messages` (part of `make install`)")
    client = Client(HTTP_ACCEPT_LANGUAGE="fi")
    client.force_login(admin_user)
    html = client.get("/sa/mailchimp/shop/%d/" % shop.pk).content.decode("utf-8")
    assert "Viimeisimmät virheet" in html and "Ei vielä yhdistetty" in html
    grid = client.get("/sa/mailchimp/").content.decode("utf-8")
    assert "Kaupat ja niiden Mailchimp-yhteys" in grid
