from django.conf import settings

from citywatch import __version__


def citywatch(request):
    from citywatch.navigation import items_for

    user = getattr(request, "user", None)
    return {
        "nav_items": items_for(user) if user is not None and user.is_authenticated else [],
        "CITYWATCH_VERSION": __version__,
        "BASEMAP_URL": settings.BASEMAP_URL,
        "BASEMAP_ATTRIBUTION": settings.BASEMAP_ATTRIBUTION,
    }
