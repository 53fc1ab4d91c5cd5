from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        # A new account starts in the language the visitor was reading the site in.
        user.preferred_language = translation.get_language() or "en"
        return super().save_user(request, user, form, commit=commit)

    def get_login_redirect_url(self, request):
        url = super().get_login_redirect_url(request)
        user = request.user
        if user.is_authenticated and user.preferred_language:
            # Land in the customer's own language, whatever page they signed in from.
            from django.urls import translate_url

            return translate_url(url, user.preferred_language)
        return url
