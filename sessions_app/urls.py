from django.urls import path

from . import views

app_name = "sessions_app"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.new_session, name="new"),
]
