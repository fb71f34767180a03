from __future__ import annotations

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.choices import AreaLevel, PointSource
from citywatch.core.models.access import BumpsAccessVersion
from citywatch.core.models.base import PATH_SEP, DomainModel, RestrictedQuerySet


class AdminAreaQuerySet(BumpsAccessVersion, RestrictedQuerySet):
    # A user's jurisdiction is an area: its path and level decide what they see (core.credentials).
    def descendants_of(self, area: AdminArea, include_self: bool = True):
        qs = self.filter(path__startswith=area.path)
        return qs if include_self else qs.exclude(pk=area.pk)


class AdminArea(DomainModel):
    """An administrative division (行政区划) identified by its GB/T 2260 code."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=AreaLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Codes of the ancestors and this area, each followed by PATH_SEP: "350200.350203.". Maintained by
    # actions; "this area and everything beneath it" is path__startswith.
    path = models.CharField(max_length=160, db_index=True, editable=False)
    boundary = models.MultiPolygonField(_("boundary"), srid=4326, null=True, blank=True)
    point = models.PointField(_("representative point"), srid=4326, null=True, blank=True)
    point_source = models.CharField(
        _("point source"), max_length=16, choices=PointSource.choices, blank=True, default=PointSource.NONE
    )

    objects = AdminAreaQuerySet.as_manager()

    jurisdiction_path = "path"
    changelog_exclude = ("path",)

    class Meta:
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def change_area_path(self) -> str:
        return self.path

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else ""
        return f"{prefix}{self.code}{PATH_SEP}"

    def place_names(self, below_city: bool = True) -> list[str]:
        """Names from the top of the path down to this area ("同安区", "大同街道", "凤南社区居委会"),
        the city left out unless ``below_city`` is false. One query."""
        codes = [c for c in self.path.split(PATH_SEP) if c]
        rows = {
            c: (level, name)
            for c, level, name in self.__class__.objects.filter(code__in=codes).values_list(
                "code", "level", "name"
            )
        }
        return [rows[c][1] for c in codes if c in rows and not (below_city and rows[c][0] == AreaLevel.CITY)]

    @property
    def is_synthetic_point(self) -> bool:
        return self.point_source == PointSource.SYNTHETIC
