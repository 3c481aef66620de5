"""The admin site with SpikeLens's name on it (Django's default says "Django administration")."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


class SpikeLensAdminSite(AdminSite):
    site_header = "SpikeLens administration"
    site_title = "SpikeLens admin"
    index_title = "Catalogue, members and recommendation models"


class SpikeLensAdminConfig(AdminConfig):
    """Installed instead of ``django.contrib.admin``, so ``admin.site`` is the site above."""

    default_site = "webapp.admin_site.SpikeLensAdminSite"
