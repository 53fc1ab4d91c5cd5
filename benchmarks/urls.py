"""The site's URLs plus /bench/bare: one query, a tiny response, the same middleware."""

from django.http import HttpResponse
from django.urls import path

from pictureus.urls import handler404, handler500  # noqa: F401
from pictureus.urls import urlpatterns as site_urlpatterns
from privacy.models import PolicyVersion


def bare(request):
    count = PolicyVersion.objects.count()
    return HttpResponse(f"policy versions: {count}\n", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), *site_urlpatterns]
