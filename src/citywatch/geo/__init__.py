"""Geographic computing for CityWatch: a library with no models (coordinate systems, distances, routing)."""
