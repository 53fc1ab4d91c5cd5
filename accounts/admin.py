# Imported first so that its registrations exist to be taken back below.
from allauth.socialaccount import admin as _socialaccount_admin  # noqa: F401
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import SupportRequest, User
from .social.adapter import provider_name

# Kakao's and Naver's keys come from the environment only: a provider row in the database would
# be a second place for secrets, and one from which the back office could send sign-ins
# elsewhere. Tokens are not kept. Which providers an account signs in with shows on the account.
for _model in (SocialApp, SocialToken, SocialAccount):
    admin.site.unregister(_model)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "display_name", "region", "age_attestation", "is_staff", "date_joined"]
    list_filter = ["is_staff", "is_active", "region", "age_attestation"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "preferred_language", "region"]}),
        (_("Age"), {"fields": ["age_attestation", "age_attested_at"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
        (_("Sign-in"), {"fields": ["signs_in_with"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined", "age_attested_at", "signs_in_with"]

    @admin.display(description=_("Also signs in with"))
    def signs_in_with(self, user: User) -> str:
        providers = SocialAccount.objects.filter(user=user).values_list("provider", flat=True)
        return ", ".join(provider_name(p) for p in providers) or "-"


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "email", "topic", "language", "status"]
    list_filter = ["status", "topic", "language"]
    search_fields = ["email", "name", "message"]
    readonly_fields = ["user", "name", "email", "topic", "message", "language", "created_at"]
    list_editable = ["status"]
