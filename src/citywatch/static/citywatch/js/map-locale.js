/* MapLibre's own control titles, translated through Django's JavaScript catalogue. Loaded after the
   catalogue and before any page script that makes a map: `new maplibregl.Map({ …, locale: window.CityWatchMapLocale })`.
   The keys are MapLibre 5's (tests/core/test_pages.py checks they exist in the vendored build). */
(function () {
  "use strict";
  const gettext = window.gettext || ((s) => s);
  const pgettext = window.pgettext || ((c, s) => s);
  window.CityWatchMapLocale = {
    "AttributionControl.ToggleAttribution": gettext("Toggle attribution"),
    "AttributionControl.MapFeedback": gettext("Map feedback"),
    "FullscreenControl.Enter": gettext("Enter fullscreen"),
    "FullscreenControl.Exit": gettext("Exit fullscreen"),
    "GeolocateControl.FindMyLocation": gettext("Find my location"),
    "GeolocateControl.LocationNotAvailable": gettext("Location not available"),
    "Map.Title": gettext("Map"),
    "Marker.Title": gettext("Map marker"),
    "NavigationControl.ResetBearing": gettext("Drag to rotate map, click to reset north"),
    "NavigationControl.ZoomIn": gettext("Zoom in"),
    "NavigationControl.ZoomOut": gettext("Zoom out"),
    "Popup.Close": gettext("Close popup"),
    "ScaleControl.Meters": pgettext("map scale", "m"),
    "ScaleControl.Kilometers": pgettext("map scale", "km"),
  };
})();
