from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.policy, name="policy"),
    path("centre/", views.centre, name="centre"),
]
