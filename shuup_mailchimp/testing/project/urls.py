from django.conf import settings
from django.conf.urls import include, url
from django.conf.urls.static import static
from django.views.generic import RedirectView

urlpatterns = [
    # Shuup's dashboard is /sa/ itself; /sa/dashboard/ (a natural guess, and old bookmarks) goes there.
    url(r"^sa/dashboard/$", RedirectView.as_view(url="/sa/", permanent=False)),
    url(r"^sa/", include("shuup.admin.urls", namespace="shuup_admin")),
    url(r"^", include("shuup.front.urls", namespace="shuup")),
] + static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
