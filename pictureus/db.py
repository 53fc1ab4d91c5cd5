"""Statements asked on every view of a busy page, planned once per database connection."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def prepared_cursor():
    """A cursor whose statements PostgreSQL plans once per connection, not on every run.

    Django's own cursors bind parameters in the client, so PostgreSQL parses and plans each
    statement anew; psycopg's server-side cursor prepares a statement once it has run
    `prepare_threshold` times on the connection (set in the database OPTIONS). Queries still go
    through Django's wrapper (logging, error translation). Other databases get the ordinary
    cursor.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = connection._prepare_cursor(psycopg.Cursor(connection.connection))
    with cursor:
        yield cursor
