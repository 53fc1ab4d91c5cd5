"""The one error the privacy services raise to the person who asked."""


class PrivacyError(Exception):
    """A refused privacy action; the message is shown to the person who asked."""
