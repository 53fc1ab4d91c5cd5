"""Rendered pages kept in the cache, so a busy page costs a lookup instead of a render.

A page is cached under everything that can change what it shows: its path (the language
included) and the query parameters it reads (a request with any other is not cached), who is
looking (a visitor or one signed-in account), whether the cookie banner is up, the site's build
(templates, translations, static file names), the day, the content version (moved once a change
to the catalogue, the policy, the processors or the retention periods is committed) and
whatever the view names as its own version (for example its rows' last change).

The CSRF token is the one per-visitor secret in these pages: they are rendered with a
placeholder in its place and every response gets the visitor's own token. Pages with messages
to show, answers other than 200 and anything but GET or HEAD are never cached.
"""

import hashlib
from functools import cache as memoize
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token

from .timezones import service_today

# Stands in for the CSRF token while a page is rendered for the cache.
CSRF_PLACEHOLDER = "pictureus-csrf-placeholder-0b7e"
PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
CONTENT_VERSION_KEY = "pagecache:content-version"
TIMEOUT = 15 * 60


@memoize
def build_id() -> str:
    """A digest of what shapes every page: templates, translations and static file names."""
    digest = hashlib.sha256()
    roots = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "locale"]
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    files = [p for root in roots for p in sorted(root.rglob("*")) if p.is_file()]
    if manifest.is_file():
        files.append(manifest)
    for path in files:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def content_changed(**kwargs) -> None:
    """Receiver for the models every visitor sees: cached pages made before are not served.

    The version moves once the change is committed: moved earlier, a page rendered in between
    from the old rows would be kept under the new version.
    """
    transaction.on_commit(retire_cached_pages)


def retire_cached_pages() -> None:
    """Every page cached so far is rendered afresh on its next view."""
    try:
        cache.incr(CONTENT_VERSION_KEY)
    except ValueError:  # no version yet (or it was evicted): start one
        cache.set(CONTENT_VERSION_KEY, 1, None)


def csrf_placeholder(request) -> dict:
    """For the site context processor: the placeholder while rendering a page for the cache."""
    return {"csrf_token": CSRF_PLACEHOLDER} if getattr(request, "_pagecache_render", False) else {}


def _has_messages(request) -> bool:
    # len() reads the stored messages without marking them shown.
    return bool(len(messages.get_messages(request)))


def cached_page(request, build, *, version=(), query=()) -> HttpResponse:
    """The page `build()` renders, from the cache when nothing it shows has changed.

    `query` names the query parameters the page reads: they are part of its key. A request
    with any other parameter is rendered but never cached, so that made-up query strings
    cannot fill the cache with copies of a page."""
    if not settings.PICTUREUS_PAGE_CACHE:
        return build()
    if request.method not in ("GET", "HEAD") or _has_messages(request):
        return build()
    if not set(request.GET).issubset(query):
        return build()
    user = request.user
    who = f"user:{user.pk}" if user.is_authenticated else "visitor"
    parts = (
        build_id(),
        # What is in effect today (a policy version, say) can change at midnight without a save.
        service_today(),
        request.path,
        [(name, request.GET.getlist(name)) for name in sorted(query)],
        request.LANGUAGE_CODE,
        who,
        bool(request.COOKIES.get("pu_consent")),
        *version,
    )
    key = "pagecache:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    # One round trip: the content version and the page, kept with the version it was made under.
    found = cache.get_many([CONTENT_VERSION_KEY, key])
    current = found.get(CONTENT_VERSION_KEY, 0)
    made_under, html = found.get(key, (None, None))
    if made_under != current:
        request._pagecache_render = True
        try:
            response = build()
        finally:
            request._pagecache_render = False
        if response.status_code != 200 or response.streaming:
            return _with_token(request, response)
        html = response.content
        cache.set(key, (current, html), TIMEOUT)
        if user.is_authenticated:
            _remember_viewer_page(user.pk, key)
    return _with_token(request, HttpResponse(html))


def _viewer_index(user_id: int) -> str:
    return f"pagecache:viewer:{user_id}"


def _remember_viewer_page(user_id: int, key: str) -> None:
    # A signed-in customer's pages show their name and data: keep their keys so that erasing
    # the account can delete them (only on a miss, so a cached view costs nothing more).
    index = _viewer_index(user_id)
    keys = cache.get(index) or []
    if key not in keys:
        cache.set(index, [*keys[-199:], key], TIMEOUT)


def forget_viewer(user_id: int) -> None:
    """Delete every page cached for one signed-in account (its erasure calls this)."""
    index = _viewer_index(user_id)
    cache.delete_many([*(cache.get(index) or []), index])


def page_cached(view):
    """A view whose page depends only on its URL, its visitor and the site's content."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return cached_page(request, lambda: view(request, *args, **kwargs))

    return wrapper


def _with_token(request, response):
    if not response.streaming and PLACEHOLDER_BYTES in response.content:
        response.content = response.content.replace(PLACEHOLDER_BYTES, get_token(request).encode())
    return response
