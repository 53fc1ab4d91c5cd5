"""The back office's yes/no icons, with their text in the reader's language.

Django's admin writes the Python value ("True", "False", "None") as the icon's alt text in
every language. It looks the function up in admin_list at each use (list columns and read-only
fields alike), so PictureUsConfig.ready puts this one in its place once.
"""

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

ICONS = {True: ("yes", _("Yes")), False: ("no", _("No")), None: ("unknown", _("Unknown"))}


def boolean_icon(field_val):
    name, text = ICONS[field_val]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{name}.svg"), text)
