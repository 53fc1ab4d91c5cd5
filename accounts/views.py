from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from pictureus.regions import region_name

from .forms import AccountSettingsForm, RegionAgeForm, SupportForm
from .services import support_rate_limited, support_request_create, user_attest_region_age


def _safe_next(request, default):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@login_required
def account_settings(request):
    form = AccountSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # Resolved while the page's own language is still active, then in the chosen one.
        url = translate_url(request.path, user.preferred_language)
        translation.activate(user.preferred_language)
        messages.success(request, _("Your settings are saved."))
        response = redirect(url)
        # The next visit to "/" starts in the chosen language too.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.preferred_language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    region = region_name(request.user.region)
    return render(request, "accounts/settings.html", {"form": form, "region_name": region})


@login_required
def region_age(request):
    """Ask region and age once; an account under the minimum age cannot buy (P17)."""
    user = request.user
    next_url = _safe_next(request, "sessions_app:new")
    if user.has_region_and_age:
        if user.can_buy:
            return redirect(next_url)
        return render(request, "accounts/under_age.html", status=403)
    form = RegionAgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_attest_region_age(
            user=user, region=form.cleaned_data["region"], of_age=form.cleaned_data["of_age"]
        )
        if not user.can_buy:
            return render(request, "accounts/under_age.html", status=403)
        return redirect(next_url)
    return render(request, "accounts/region_age.html", {"form": form, "next": next_url})


def support(request):
    initial = {}
    if request.user.is_authenticated:
        initial = {"email": request.user.email, "name": request.user.display_name}
    form = SupportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if support_rate_limited(request=request):
            form.add_error(
                None,
                _("You have sent several messages in a short time. Please try again in an hour."),
            )
            return render(request, "accounts/support.html", {"form": form}, status=429)
        support_request = support_request_create(
            form=form, user=request.user, language=translation.get_language()
        )
        request.session["support_reference"] = support_request.pk
        return redirect("support_sent")
    return render(request, "accounts/support.html", {"form": form})


def support_sent(request):
    reference = request.session.pop("support_reference", None)
    return render(request, "accounts/support_sent.html", {"reference": reference})
