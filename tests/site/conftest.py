"""Fixtures for the site's tests."""

import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def catalogue(db):
    """The demo plans and styles, as `make run` loads them."""
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
