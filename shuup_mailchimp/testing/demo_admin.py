"""Make the demo shop's admin usable at first login: no setup wizard, no tour, a published shop
with an address and a theme, so ``/sa/`` opens on the dashboard with its menu.

Used by ``mailchimp_demo`` and by the browser tests (which build the same admin on a test database).
"""
from shuup import configuration
from shuup.admin.utils.tour import set_tour_complete
from shuup.core.models import MutableAddress

#: Shuup's default front theme (``shuup.themes.classic_gray`` is installed by the demo project).
DEMO_THEME = "shuup.themes.classic_gray"
#: The admin pages with a first-visit tour (an overlay a new user has to click away).
TOURS = ("dashboard", "home", "category", "product")


def make_admin_usable(shop, users=()):
    """Idempotent. ``users``: admin users whose first-visit tours are marked seen."""
    if shop.contact_address_id is None:
        shop.contact_address = MutableAddress.objects.create(
            name="Demo shop", street="Mannerheimintie 1", city="Helsinki", postal_code="00100", country="FI",
            email="shop@demo-shop.shuup.test", phone="+358 9 123 4567")
    shop.maintenance_mode = False
    shop.save()
    configuration.set(shop, "setup_wizard_complete", True)
    try:
        from shuup.xtheme import set_current_theme

        set_current_theme(DEMO_THEME, shop)
    except (ImportError, ValueError):
        pass  # xtheme or the theme not installed: the front logs it, the admin does not care
    for user in users:
        for tour in TOURS:
            set_tour_complete(shop, tour, user=user)
