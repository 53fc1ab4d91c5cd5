"""Sessions in the cache, backed by the database, each row knowing the account signed in.

Django's `cached_db` engine with a session model of our own (Django's documented way to extend
a database-backed engine): erasing an account finds and deletes its sessions, cache included.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from .models import LoginSession


class SessionStore(CachedDBStore):
    cache_key_prefix = "accounts.sessions"

    @classmethod
    def get_model_class(cls):
        return LoginSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        instance.user_id = int(user_id) if str(user_id or "").isdigit() else None
        return instance


def sessions_end(*, user_id: int) -> int:
    """Delete every session of an account, from the cache and the database."""
    keys = list(LoginSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    for key in keys:
        SessionStore(session_key=key).delete()
    return len(keys)
