"""Back-office words of django-celery-beat that its own Korean catalogue lacks.

Listed here so that `makemessages` keeps them in locale/ko; the project's catalogue comes
before an app's own, so the admin index reads in Korean throughout.
"""

from django.utils.translation import gettext_noop

BEAT_ADMIN = (
    gettext_noop("clocked"),
    gettext_noop("crontabs"),
    gettext_noop("intervals"),
    gettext_noop("periodic tasks"),
    gettext_noop("solar events"),
)
