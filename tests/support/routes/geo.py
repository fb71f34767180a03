"""Routes of the geo library's API in the shared matrix: routes, isochrones, the population heat map. They
name no object and every role may ask them."""

from tests.support.matrix import Route, register

register(
    Route(
        "GET",
        "/api/v1/route",
        outsider=None,
        malformed={"query": {"from": "-180,-90", "to": "118.1,24.5", "crs": "bd09"}},
    ),
    Route(
        "GET",
        "/api/v1/isochrone",
        outsider=None,
        malformed={"query": {"lon": "118.1", "lat": "24.5", "minutes": "0"}},
    ),
    Route("GET", "/api/v1/population", outsider=None, malformed={"query": {"bbox": "1,2"}}),
)
