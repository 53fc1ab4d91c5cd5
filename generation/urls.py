from django.urls import path

from . import views

app_name = "generation"

urlpatterns = [
    path("<uuid:public_id>/", views.gallery, name="gallery"),
    path("<uuid:public_id>/progress.json", views.progress, name="progress"),
    path("<uuid:public_id>/download.zip", views.download_all, name="download_all"),
    path(
        "<uuid:public_id>/portraits/<int:portrait_id>/favourite/",
        views.portrait_favourite,
        name="portrait_favourite",
    ),
    path(
        "<uuid:public_id>/portraits/<int:portrait_id>/<str:kind>/",
        views.portrait_file,
        name="portrait_file",
    ),
    path("<uuid:public_id>/more-styles/", views.addon_buy, name="addon_buy"),
    path("<uuid:public_id>/more-styles/pay/test/", views.addon_local_pay, name="addon_local_pay"),
    path(
        "<uuid:public_id>/styles/<int:style_id>/regenerate/",
        views.style_regenerate,
        name="style_regenerate",
    ),
]
