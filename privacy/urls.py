from django.urls import path

from .views import centre, cookies, policy, requests, staff

app_name = "privacy"

urlpatterns = [
    path("", policy.policy, name="policy"),
    path("centre/", centre.centre, name="centre"),
    path("centre/consent/", centre.consent_change, name="consent_change"),
    path("centre/consent/renew/", centre.consent_renew, name="consent_renew"),
    path("centre/export/", centre.export_start, name="export_start"),
    path("centre/delete-photos/", centre.photos_delete, name="photos_delete"),
    path("centre/delete-account/", centre.account_delete, name="account_delete"),
    path("centre/request/", requests.request_new, name="request_new"),
    path("export/<str:token>/", centre.export_download, name="export_download"),
    path("request/", requests.request_visitor, name="request_visitor"),
    path("request/agent/", requests.request_agent, name="request_agent"),
    path("request/verify/<str:token>/", requests.request_verify, name="request_verify"),
    path("request/confirm/<str:token>/", requests.request_confirm, name="request_confirm"),
    path("cookies/", cookies.cookie_choice, name="cookie_choice"),
    path("cookies/settings/", cookies.cookie_settings, name="cookie_settings"),
    path("staff/photo/<str:kind>/<int:pk>/", staff.staff_photo, name="staff_photo"),
    path("staff/dashboard/", staff.staff_dashboard, name="staff_dashboard"),
]
