"""The private storage (STORAGES["private"]) as a lazy object that follows settings changes."""

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages["private"]


_private = PrivateStorage()


def private_storage():
    """The storage for photos, LoRA weights and portraits; use as FileField(storage=...)."""
    return _private


@receiver(setting_changed)
def _reset_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty
