from django import template

from generation.progress import progress_for_display

register = template.Library()


@register.simple_tag
def session_progress(photo_session):
    """{% session_progress photo_session as progress %}: what _progress.html shows."""
    return progress_for_display(photo_session=photo_session)
