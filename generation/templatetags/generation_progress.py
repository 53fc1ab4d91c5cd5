from django import template

from generation.progress import progress_for_display, session_state_badge
from generation.services.timing import IN_PROGRESS, latest_jobs_in_progress

register = template.Library()


@register.simple_tag
def session_progress(photo_session):
    """{% session_progress photo_session as progress %}: what _progress.html shows."""
    return progress_for_display(photo_session=photo_session)


@register.inclusion_tag("generation/_state_badge.html", takes_context=True)
def state_badge(context, photo_session, progress=None):
    """{% state_badge photo_session %}: the session's state in the words every page uses;
    `progress` (from session_progress) where the page shows the progress panel too.

    A page that lists sessions looks their jobs up once, not once per session.
    """
    if progress:
        return {"key": progress["state_key"], "label": progress["state_label"]}
    latest_jobs = None
    if photo_session.state in IN_PROGRESS:
        key = ("generation:latest_jobs", photo_session.user_id)
        if key not in context.render_context:
            context.render_context[key] = latest_jobs_in_progress(user_id=photo_session.user_id)
        latest_jobs = context.render_context[key]
    return session_state_badge(photo_session, latest_jobs=latest_jobs)
