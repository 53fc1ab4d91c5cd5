from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import SupportRequest, User


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
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined", "age_attested_at"]


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "email", "topic", "language", "status"]
    list_filter = ["status", "topic", "language"]
    search_fields = ["email", "name", "message"]
    readonly_fields = ["user", "name", "email", "topic", "message", "language", "created_at"]
    list_editable = ["status"]
