from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pictureus.pagecache import page_cached
from pictureus.storage import private_file_response

from . import registry, services
from .forms import (
    AgentRequestForm,
    CentreRequestForm,
    ConfirmForm,
    ConsentChangeForm,
    VisitorRequestForm,
    VisitorVerifyForm,
)
from .middleware import (
    BROWSER_COOKIE,
    browser_id_for,
    cookie_choice_from,
    remember_cookie_choice,
)
from .models import (
    ConsentRecord,
    DataExport,
    DataSubjectRequest,
    DeletionReceipt,
    PolicyVersion,
    ProcessingRestriction,
    Processor,
    RetentionPolicy,
)
from .notices import ConsentTextChanged, consent_notices, consent_text_seen

P = ConsentRecord.Purpose
ACCOUNT_PURPOSES = [P.MODEL_IMPROVEMENT, P.MARKETING_LIKENESS, P.SALE_SHARING]


def _own_session(user, public_id):
    """The customer's own photo session, 404 for anyone else's."""
    lifecycle = registry.sessions()
    return get_object_or_404(lifecycle.model, public_id=public_id, **{lifecycle.owner: user})


@page_cached
def policy(request):
    return render(
        request,
        "privacy/policy.html",
        {
            "policy": PolicyVersion.current(PolicyVersion.Kind.PRIVACY),
            "processors": Processor.objects.filter(active=True),
            "retention_policies": RetentionPolicy.objects.all(),
        },
    )


@login_required
def centre(request):
    user = request.user
    sessions = list(user.photo_sessions.all())
    notices = {notice.purpose: notice for notice in consent_notices()}
    account_consents = [
        (purpose, services.consent_latest(user=user, purpose=purpose), notices.get(purpose))
        for purpose in ACCOUNT_PURPOSES
    ]
    session_consents = [
        (
            ps,
            services.consent_latest(user=user, purpose=P.FACE_PHOTOS, photo_session=ps),
            services.retention_dates(photo_session=ps),
        )
        for ps in sessions
    ]
    return render(
        request,
        "privacy/centre.html",
        {
            "account_consents": account_consents,
            "session_consents": session_consents,
            "history": ConsentRecord.objects.filter(user=user).select_related(
                "policy_version", "consent_text"
            )[:100],
            "needs_renewal": services.consent_needs_renewal(user=user),
            "policy": PolicyVersion.current(),
            "restrictions": ProcessingRestriction.objects.filter(user=user, lifted_at__isnull=True),
            "requests": DataSubjectRequest.objects.filter(user=user).order_by("-received_at"),
            "exports": [
                (e, services.export_link(e) if e.status == DataExport.Status.READY else None)
                for e in DataExport.objects.filter(user=user)[:5]
            ],
            "receipts": DeletionReceipt.objects.filter(subject=user)[:200],
            "request_form": CentreRequestForm(user=user),
            "confirm_form": ConfirmForm(user=user),
        },
    )


@login_required
@require_POST
def consent_change(request):
    form = ConsentChangeForm(request.POST)
    if not form.is_valid() or form.cleaned_data["purpose"] == P.COOKIES_OPTIONAL:
        messages.error(request, _("That choice could not be recorded. Please try again."))
        return redirect("privacy:centre")
    purpose, granted = form.cleaned_data["purpose"], form.cleaned_data["granted"]
    photo_session = None
    if purpose == P.FACE_PHOTOS:
        if not form.cleaned_data["session"]:
            messages.error(request, _("That choice could not be recorded. Please try again."))
            return redirect("privacy:centre")
        photo_session = _own_session(request.user, form.cleaned_data["session"])
    if granted:
        try:
            consent_text = consent_text_seen(purpose=purpose, seen=request.POST.get("version", ""))
        except ConsentTextChanged:
            messages.error(request, _("The text of this consent changed. Please read it again."))
            return redirect("privacy:centre")
        services.consent_record(
            user=request.user,
            purpose=purpose,
            granted=True,
            method=ConsentRecord.Method.FORM,
            request=request,
            photo_session=photo_session,
            consent_text=consent_text,
        )
        messages.success(request, _("Your consent is recorded."))
    else:
        services.consent_withdraw(
            user=request.user, purpose=purpose, request=request, photo_session=photo_session
        )
        messages.success(request, _("Your consent is withdrawn. This takes effect now."))
    return redirect("privacy:centre")


@login_required
@require_POST
def consent_renew(request):
    """Consent again under a new material policy version, for what was granted before (P20)."""
    user = request.user
    renewed = 0
    for purpose in services.RESTRICTABLE_PURPOSES:
        rows = ConsentRecord.objects.filter(user=user, purpose=purpose)
        for session_id in set(rows.values_list("photo_session_id", flat=True)):
            latest = services.consent_latest(
                user=user,
                purpose=purpose,
                photo_session=user.photo_sessions.filter(pk=session_id).first()
                if session_id
                else None,
            )
            if latest is not None and latest.granted:
                services.consent_record(
                    user=user,
                    purpose=purpose,
                    granted=True,
                    method=ConsentRecord.Method.FORM,
                    request=request,
                    photo_session=latest.photo_session,
                )
                renewed += 1
    messages.success(request, _("Thank you: your consent under the new policy is recorded."))
    return redirect("privacy:centre")


@login_required
@require_POST
def export_start(request):
    services.export_request(user=request.user)
    messages.success(
        request,
        _("We are preparing your data. We will email you a download link when it is ready."),
    )
    return redirect("privacy:centre")


@login_required
def export_download(request, token):
    try:
        export = services.export_from_token(token, user=request.user)
    except services.PrivacyError as exc:
        return render(request, "privacy/refused.html", {"message": str(exc)}, status=400)
    return private_file_response(
        export.file, content_type="application/zip", download_name="pictureus-my-data.zip"
    )


@login_required
@require_POST
def photos_delete(request):
    form = ConfirmForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("That password is not right. Nothing was deleted."))
        return redirect("privacy:centre")
    count = services.photos_erase_now(user=request.user, request=request)
    messages.success(
        request,
        _("Your original photos and trained models are deleted (%(count)s photos).")
        % {"count": count},
    )
    return redirect("privacy:centre")


@login_required
def account_delete(request):
    form = ConfirmForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        services.account_erase(user=user, actor=user)
        logout(request)
        return render(request, "privacy/account_deleted.html")
    return render(request, "privacy/account_delete.html", {"form": form})


@login_required
def request_new(request):
    """A signed-in customer's request; re-entering the password verifies identity (P13)."""
    form = CentreRequestForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        services.dsr_create(
            type=form.cleaned_data["type"],
            channel=DataSubjectRequest.Channel.CUSTOMER,
            email=user.email,
            region=user.region,
            user=user,
            details=form.cleaned_data["details"],
            language=get_language(),
            verified_by_reauthentication=True,
        )
        messages.success(request, _("Your request is received. We have emailed you a copy."))
        return redirect("privacy:centre")
    return render(request, "privacy/request_form.html", {"form": form, "kind": "customer"})


def request_visitor(request):
    form = VisitorRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.dsr_create(
            type=data["type"],
            channel=DataSubjectRequest.Channel.VISITOR,
            email=data["email"],
            region=data["region"],
            details=data["details"],
            language=get_language(),
        )
        return render(request, "privacy/request_sent.html", {"kind": "visitor"})
    return render(request, "privacy/request_form.html", {"form": form, "kind": "visitor"})


def request_agent(request):
    form = AgentRequestForm(
        request.POST if request.method == "POST" else None, request.FILES or None
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            services.dsr_create(
                type=data["type"],
                channel=DataSubjectRequest.Channel.AGENT,
                email=data["email"],
                region=data["region"],
                details=data["details"],
                language=get_language(),
                agent_name=data["agent_name"],
                agent_email=data["agent_email"],
                agent_authority=data["authority"],
            )
            return render(request, "privacy/request_sent.html", {"kind": "agent"})
        if "authority" in form.errors:
            services.audit_log(action="dsr.agent_refused", detail={"reason": "no authority"})
    return render(request, "privacy/request_form.html", {"form": form, "kind": "agent"})


def request_verify(request, token):
    """A visitor's email link plus a second data point verifies the request."""
    try:
        dsr = services.dsr_from_token(token, "visitor")
    except services.PrivacyError as exc:
        return render(request, "privacy/refused.html", {"message": str(exc)}, status=400)
    form = VisitorVerifyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dsr_visitor_verify(dsr=dsr, display_name=form.cleaned_data["display_name"])
        except services.PrivacyError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "privacy/request_sent.html", {"kind": "verified"})
    return render(request, "privacy/request_verify.html", {"form": form, "dsr": dsr})


@login_required
def request_confirm(request, token):
    """The customer confirms a request their authorised agent made (P14)."""
    try:
        dsr = services.dsr_from_token(token, "agent")
    except services.PrivacyError as exc:
        return render(request, "privacy/refused.html", {"message": str(exc)}, status=400)
    form = ConfirmForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.dsr_agent_confirm(dsr=dsr, user=request.user)
        except services.PrivacyError as exc:
            return render(request, "privacy/refused.html", {"message": str(exc)}, status=400)
        messages.success(request, _("Thank you: you have confirmed your agent's request."))
        return redirect("privacy:centre")
    return render(request, "privacy/request_confirm.html", {"form": form, "dsr": dsr})


@require_POST
def cookie_choice(request):
    """Record the cookie banner's choice in the ledger (P21) and remember it."""
    choice = request.POST.get("choice")
    if choice not in ("accept", "reject"):
        return HttpResponse(_("Choose to accept or reject optional cookies."), status=400)
    services.cookie_choice_record(
        request=request,
        browser_id=browser_id_for(request),
        accepted=choice == "accept",
        method=ConsentRecord.Method.COOKIE_BANNER,
    )
    next_url = request.POST.get("next", "")
    if request.headers.get("X-Requested-With") == "fetch":
        response = HttpResponse(status=204)
    elif url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        response = redirect(next_url)
    else:
        response = redirect("home")
    remember_cookie_choice(request, response, choice)
    return response


def cookie_settings(request):
    """See the browser's cookie choice and change it, each change a ledger row (P21)."""
    if request.method == "POST":
        choice = request.POST.get("choice")
        if choice not in ("accept", "reject"):
            messages.error(request, _("Choose to accept or reject optional cookies."))
            return redirect("privacy:cookie_settings")
        services.cookie_choice_record(
            request=request,
            browser_id=browser_id_for(request),
            accepted=choice == "accept",
            method=ConsentRecord.Method.FORM,
        )
        if choice == "accept":
            messages.success(request, _("Your choice is saved: optional cookies are allowed."))
        else:
            messages.success(
                request, _("Your choice is saved: only the cookies the site needs are used.")
            )
        response = redirect("privacy:cookie_settings")
        remember_cookie_choice(request, response, choice)
        return response
    choice, latest = cookie_choice_from(request), None
    if choice and request.COOKIES.get(BROWSER_COOKIE):
        latest = services.cookie_choice_latest(
            browser_id=browser_id_for(request), user=request.user
        )
        if latest is not None and latest.granted != (choice == "accept"):
            latest = None  # the date of another choice would mislead
    return render(request, "privacy/cookie_settings.html", {"choice": choice, "latest": latest})


@login_required
def staff_photo(request, kind, pk):
    """A staff view of a customer's original or portrait; every view is audited (P24)."""
    from generation.models import Portrait
    from sessions_app.models import SourcePhoto

    models_by_kind = {
        "original": (SourcePhoto, "sessions_app.view_sourcephoto", "image"),
        "portrait": (Portrait, "generation.view_portrait", "image"),
    }
    if kind not in models_by_kind:
        raise Http404
    model, perm, field = models_by_kind[kind]
    if not (request.user.is_staff and request.user.has_perm(perm)):
        services.audit_log(
            action="staff.photo_view_refused",
            actor=request.user,
            detail={"kind": kind, "id": pk},
        )
        raise PermissionDenied
    obj = get_object_or_404(model, pk=pk)
    fieldfile = getattr(obj, field)
    if not fieldfile:
        raise Http404
    services.audit_photo_view(actor=request.user, photo=obj, request=request, field=field)
    return private_file_response(fieldfile)


def staff_dashboard(request):
    """The privacy figures moved to the back office; old bookmarks follow them there."""
    return redirect("admin:privacy_figures", permanent=True)
