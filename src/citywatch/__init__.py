"""CityWatch: open software for a city's emergency management bureau."""

__version__ = "0.1.0"
