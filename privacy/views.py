from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import ConsentRecord, PolicyVersion


def policy(request):
    return render(
        request,
        "privacy/policy.html",
        {"policy": PolicyVersion.current(PolicyVersion.Kind.PRIVACY)},
    )


@login_required
def centre(request):
    consents = ConsentRecord.objects.filter(user=request.user).select_related("policy_version")
    return render(request, "privacy/centre.html", {"consents": consents})
