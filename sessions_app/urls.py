from django.urls import path

from . import payment_views, views

app_name = "sessions_app"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.new_session, name="new"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/pay/", payment_views.pay, name="pay"),
    path("<uuid:public_id>/pay/test/", payment_views.local_pay, name="local_pay"),
    path("<uuid:public_id>/withdraw/", payment_views.withdraw, name="withdraw"),
    path("<uuid:public_id>/consent/", views.consent, name="consent"),
    path("<uuid:public_id>/photos/", views.photos, name="photos"),
    path(
        "<uuid:public_id>/photos/<int:photo_id>/image/",
        views.photo_file,
        {"kind": "image"},
        name="photo_image",
    ),
    path(
        "<uuid:public_id>/photos/<int:photo_id>/thumb/",
        views.photo_file,
        {"kind": "thumb"},
        name="photo_thumb",
    ),
    path(
        "<uuid:public_id>/photos/<int:photo_id>/delete/",
        views.photo_delete,
        name="photo_delete",
    ),
    path("<uuid:public_id>/submit/", views.submit, name="submit"),
]
