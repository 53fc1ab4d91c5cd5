"""Signing in with Kakao and Naver, through django-allauth's providers.

The providers here are allauth's own with three changes: their endpoints can be replaced in
settings (`SOCIALACCOUNT_PROVIDERS[id]["URLS"]`, for a stand-in server), an address counts as
confirmed only when the provider says so, and the profile kept on the `SocialAccount` is the
display name and email address alone (P01), never the provider's whole answer.
"""
