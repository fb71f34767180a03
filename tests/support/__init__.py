"""Helpers every test module may import: personas, places, builders, the API contract check and the
shared route matrix. Test modules import from here, never from one another."""
