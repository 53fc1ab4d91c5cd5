from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.policy, name="policy"),
    path("centre/", views.centre, name="centre"),
    path("centre/consent/", views.consent_change, name="consent_change"),
    path("centre/consent/renew/", views.consent_renew, name="consent_renew"),
    path("centre/export/", views.export_start, name="export_start"),
    path("centre/delete-photos/", views.photos_delete, name="photos_delete"),
    path("centre/delete-account/", views.account_delete, name="account_delete"),
    path("centre/request/", views.request_new, name="request_new"),
    path("export/<str:token>/", views.export_download, name="export_download"),
    path("request/", views.request_visitor, name="request_visitor"),
    path("request/agent/", views.request_agent, name="request_agent"),
    path("request/verify/<str:token>/", views.request_verify, name="request_verify"),
    path("request/confirm/<str:token>/", views.request_confirm, name="request_confirm"),
    path("cookies/", views.cookie_choice, name="cookie_choice"),
    path("cookies/settings/", views.cookie_settings, name="cookie_settings"),
    path("staff/photo/<str:kind>/<int:pk>/", views.staff_photo, name="staff_photo"),
    path("staff/dashboard/", views.staff_dashboard, name="staff_dashboard"),
]
