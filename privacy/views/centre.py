from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pictureus.storage import private_file_response

from .. import registry, services
from ..forms import CentreRequestForm, ConfirmForm, ConsentChangeForm
from ..models import (
    ConsentRecord,
    DataExport,
    DataSubjectRequest,
    DeletionReceipt,
    PolicyVersion,
    ProcessingRestriction,
)
from ..notices import ConsentTextChanged, consent_notices, consent_text_seen

P = ConsentRecord.Purpose
ACCOUNT_PURPOSES = [P.MODEL_IMPROVEMENT, P.MARKETING_LIKENESS, P.SALE_SHARING]


def _own_session(user, public_id):
    """The customer's own photo session, 404 for anyone else's."""
    lifecycle = registry.sessions()
    return get_object_or_404(lifecycle.model, public_id=public_id, **{lifecycle.owner: user})


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
