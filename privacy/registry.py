"""The registry of personal data: what each app keeps about a person or a photo session.

Every app declares, in its `personal_data.py`, each model (and each store outside the database)
that holds something about a customer: how the account owns it, which retention category
governs it, how it is exported and how it is erased. Export, account erasure, session erasure
and the retention sweep walk these declarations; the privacy app imports no other app.
`tests/privacy/test_registry.py` fails when a model that links to an account, a session or an
email address is missing here, so nothing personal ships without export and erasure.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.db import models
from django.utils.module_loading import autodiscover_modules


class Erase:
    """What erasing a holding does to its rows, unless it names a function of its own that
    takes the rows and anonymises them (the account, a request's minimum record)."""

    DELETE = "delete"  # rows (and their files) are deleted
    KEEP = "keep"  # rows stay as they are; `kept_because` says which duty keeps them


@dataclass(frozen=True)
class Holding:
    """One model that holds personal data, as its app declares it.

    `owner` is the lookup from the model to the account (`"user"`, `"photo_session__user"`);
    `session` the lookup to the photo session for data kept per session; `emails` the fields
    holding an email address, by which rows also belong to an account that uses that address.
    `other_links` names every other link to an account or a session (the staff who acted,
    the session a consent was given for): the registry test insists each one is declared.
    `files` are erased with a receipt each and exported unless named in `unexported_files`
    (thumbnails, previews). Every concrete field but `unexported` is exported. `rows(user=,
    emails=)` replaces the selection of the account's rows when the owner link and the
    addresses are not the whole story. `erase` is DELETE, KEEP or `function(rows, subject=)`
    that anonymises the rows of the account `subject`.
    """

    model: type[models.Model]
    category: str
    owner: str = ""
    session: str = ""
    emails: tuple[str, ...] = ()
    # Its email fields are the account's own addresses (the account row, its address book).
    account_addresses: bool = False
    # For addresses: the boolean field that says the account holder confirmed the address; only
    # confirmed addresses identify the account to a request made by email.
    addresses_confirmed_by: str = ""
    other_links: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    unexported_files: tuple[str, ...] = ()
    unexported: tuple[str, ...] = ()
    rows: Callable | None = None
    # For data outside the sessions with a retention period of its own (data exports): the
    # field the period counts from.
    created_field: str = ""
    # Exported as one object rather than a list (the account itself).
    single: bool = False
    export_as: str = ""
    erase: str | Callable = Erase.DELETE
    # What a file's receipt calls it, when one category covers several kinds of file
    # (`function(row) -> str`; the holding's category otherwise).
    receipt_category: Callable | None = None
    kept_because: str = ""
    # False where the law lets a controller withhold it (a legal hold on the account).
    exported: bool = True
    # Lower runs first: jobs stop before the files they read are deleted.
    order: int = 0

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def export_key(self) -> str:
        return self.export_as or self.label


@dataclass(frozen=True)
class Store:
    """Personal data outside the models: a cache, a login-session store.

    `erase(user)` removes what it holds about the account; `export(user)` returns JSON-ready
    data or None when there is nothing to hand over.
    """

    name: str
    erase: Callable
    export: Callable | None = None


@dataclass(frozen=True)
class SessionLifecycle:
    """How the photo-session model takes part in retention and erasure.

    `owner` names its link to the account, `delivered` and `activity` its fields for the
    delivery time and the last change; `after_erase(photo_session=, categories=, reason=)`
    moves the session on once data of those categories is gone.
    """

    model: type[models.Model]
    owner: str
    delivered: str
    activity: str
    after_erase: Callable


_holdings: list[Holding] = []
_stores: list[Store] = []
_lifecycle: list[SessionLifecycle] = []
_stoppers: list[Callable] = []
_consent_ended: list[tuple[str, Callable]] = []
_discovered = False


def register(holding: Holding) -> Holding:
    _holdings.append(holding)
    return holding


def register_store(store: Store) -> Store:
    _stores.append(store)
    return store


def register_sessions(lifecycle: SessionLifecycle) -> None:
    """The photo-session model, declared once by the app that owns it."""
    _lifecycle[:] = [lifecycle]


def register_session_stopper(func: Callable) -> Callable:
    """Run `func(photo_session=..., reason=...)` before a session's face data is erased: it
    stops whatever is reading that data (training and generation jobs)."""
    _stoppers.append(func)
    return func


def register_consent_ended(purpose: str, func: Callable) -> Callable:
    """Run `func(user=...)` once a customer's consent for `purpose` ends (a withdrawal or a
    decline is recorded, or a restriction placed): it stops that optional use at once."""
    _consent_ended.append((purpose, func))
    return func


def discover() -> None:
    """Import every app's `personal_data` module once (called from the privacy app's ready)."""
    global _discovered
    if not _discovered:
        _discovered = True
        autodiscover_modules("personal_data")


def holdings() -> list[Holding]:
    discover()
    return sorted(_holdings, key=lambda h: h.order)


def stores() -> list[Store]:
    discover()
    return list(_stores)


def sessions() -> SessionLifecycle:
    discover()
    if not _lifecycle:
        raise LookupError("no app has declared the photo-session model to the privacy registry")
    return _lifecycle[0]


def session_stoppers() -> list[Callable]:
    discover()
    return list(_stoppers)


def consent_ended_handlers(purpose: str) -> list[Callable]:
    discover()
    return [func for each, func in _consent_ended if each == purpose]


def session_holdings(categories: Collection[str] | None = None) -> list[Holding]:
    """The holdings kept per photo session, optionally only those of some categories."""
    return [h for h in holdings() if h.session and (categories is None or h.category in categories)]
