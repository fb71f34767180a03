"""Geographic computing for CityWatch: a library with no models.

* ``crs``        WGS-84 / GCJ-02 / BD-09 conversions (all coordinate-system logic)
* ``distance``   great-circle distances, local projection, straight-line nearest (``PointIndex``)
* ``routing``    the road graph (``citywatch import roads``) and the travel-time engine:
                 ``nearest_by_time``, ``route``, ``isochrone`` (estimates when there is no graph)
* ``population`` the population grid (``citywatch import population``): persons in a radius or polygon
* ``store``      versioned array datasets in ``DATA_DIR``, published atomically, memory-mapped
* ``importers``  the "roads" and "population" importers (registered by ``apps.GeoConfig.ready``)
"""
