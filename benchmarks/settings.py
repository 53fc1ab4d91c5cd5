"""The production settings plus the bare one-query view the load benchmark compares against."""

from pictureus.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"

# Collected apart from the repository's staticfiles/ so that a benchmark run disturbs no one.
STATIC_ROOT = DATA_DIR / "staticfiles"  # noqa: F405
