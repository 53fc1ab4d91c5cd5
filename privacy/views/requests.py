from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .. import services
from ..forms import (
    AgentRequestForm,
    CentreRequestForm,
    ConfirmForm,
    VisitorRequestForm,
    VisitorVerifyForm,
)
from ..models import DataSubjectRequest


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
