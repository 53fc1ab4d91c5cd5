"""Sign-in backends: Django's and allauth's, fetching the signed-in user more cheaply.

Every signed-in request loads its user by primary key. On PostgreSQL that is one statement
planned once per connection and turned into a User directly; building the ORM's get() each
time cost three times as much. Everything else (passwords, permissions, allauth's e-mail
login) is the parent classes' own.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db import connection

from pictureus.db import prepared_cursor


class FastUserMixin:
    def get_user(self, user_id):
        if connection.vendor != "postgresql":
            return super().get_user(user_id)
        user_model = get_user_model()
        fields = user_model._meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(user_model._meta.db_table)
        pk = connection.ops.quote_name(user_model._meta.pk.column)
        with prepared_cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table} WHERE {pk} = %s", [user_id])  # noqa: S608
            row = cursor.fetchone()
        if row is None:
            return None
        user = user_model.from_db(connection.alias, [f.attname for f in fields], row)
        return user if self.user_can_authenticate(user) else None


class ModelBackend(FastUserMixin, DjangoModelBackend):
    """Django's backend (the back office's sign-in)."""


class AuthenticationBackend(FastUserMixin, AllauthBackend):
    """allauth's backend (the site's sign-in by e-mail)."""
