from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("settings/", views.account_settings, name="settings"),
    path("region-and-age/", views.region_age, name="region_age"),
]
