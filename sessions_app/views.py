from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from .models import PhotoSession


@login_required
def dashboard(request):
    sessions = PhotoSession.objects.filter(user=request.user).select_related("plan")
    return render(request, "sessions_app/dashboard.html", {"sessions": sessions})


@login_required
def new_session(request):
    user = request.user
    if not user.can_buy:
        # Region and age are asked once, before the first purchase (P17).
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:region_age')}?{query}")
    return render(request, "sessions_app/new.html")
