from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from accounts import views as accounts_views
from generation import views as generation_views
from sessions_app import payment_views

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", views.healthz, name="healthz"),
    path("stripe/webhook/", payment_views.stripe_webhook, name="stripe_webhook"),
    # One address in every language, named by the sample's random id alone.
    path("samples/<uuid:public_id>.webp", generation_views.sample_image, name="sample_image"),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("how-it-works/", views.how_it_works, name="how_it_works"),
    path("features/", views.features, name="features"),
    path("faq/", views.faq, name="faq"),
    path("pricing/", views.pricing, name="pricing"),
    path("terms/", views.terms, name="terms"),
    path("support/", accounts_views.support, name="support"),
    path("support/sent/", accounts_views.support_sent, name="support_sent"),
    path("backoffice/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("sessions/", include("sessions_app.urls")),
    path("privacy/", include("privacy.urls")),
    path("studio/", include("generation.urls")),
    prefix_default_language=True,
)

handler404 = "pictureus.views.page_not_found"
handler500 = "pictureus.views.server_error"
