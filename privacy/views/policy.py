from django.shortcuts import render

from pictureus.pagecache import page_cached

from ..models import PolicyVersion, Processor, RetentionPolicy


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
