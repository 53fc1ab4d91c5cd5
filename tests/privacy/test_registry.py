"""The registry of personal data covers every model that links to a person, a photo session or
an email address, so nothing personal ships without export and erasure (P11, P12)."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from privacy import registry
from privacy.services.erasure import owned_rows

pytestmark = pytest.mark.django_db


def _is_person_or_session(model) -> bool:
    return model is get_user_model() or model is registry.sessions().model


def _direct_links(model) -> set[str]:
    """Fields of `model` that point at an account or a session, or hold an email address."""
    links = set()
    for field in model._meta.concrete_fields:
        person = field.is_relation and _is_person_or_session(field.related_model)
        if person or isinstance(field, models.EmailField):
            links.add(field.name)
    return links


def _links(model) -> set[str]:
    """Direct links, and relations to a model that links directly (an order's refunds)."""
    links = _direct_links(model)
    for field in model._meta.concrete_fields:
        related = field.related_model if field.is_relation else None
        if related is not None and related is not model and _direct_links(related):
            links.add(field.name)
    return links


def _declared(holding) -> set[str]:
    named = {holding.owner.split("__")[0], holding.session.split("__")[0]}
    return (named | set(holding.emails) | set(holding.other_links)) - {""}


@pytest.mark.promise("P11")
@pytest.mark.promise("P12")
def test_every_model_that_links_to_a_person_a_session_or_an_address_is_declared():
    declared = {holding.model for holding in registry.holdings()}
    missing = [
        model._meta.label
        for model in apps.get_models()
        if _links(model) and model not in declared and not _is_person_or_session(model)
    ]
    assert not missing, f"declare these in their app's personal_data.py: {missing}"
    assert get_user_model() in declared and registry.sessions().model in declared


@pytest.mark.promise("P11")
def test_every_link_and_file_of_a_declared_model_is_accounted_for():
    for holding in registry.holdings():
        undeclared = _links(holding.model) - _declared(holding) - {"pk"}
        assert not undeclared, f"{holding.label}: declare {sorted(undeclared)}"
        files = {
            f.name for f in holding.model._meta.concrete_fields if isinstance(f, models.FileField)
        }
        assert files == set(holding.files), f"{holding.label}: files {sorted(files)}"
        if holding.erase == registry.Erase.KEEP:
            assert holding.kept_because, f"{holding.label}: say which duty keeps it"
            assert not holding.files, f"{holding.label}: files are never kept on erasure"


def test_every_declaration_names_real_fields_and_a_retention_category(alice):
    from privacy.models import RetentionPolicy

    categories = set(RetentionPolicy.Category.values)
    for holding in registry.holdings():
        assert holding.category in categories, holding.label
        # The lookups are real: the queries run.
        owned_rows(holding, user=alice, emails=[alice.email]).exists()
        if holding.session:
            holding.model.objects.filter(**{holding.session: 0}).exists()
