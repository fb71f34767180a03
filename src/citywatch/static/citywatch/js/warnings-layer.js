/* The warnings in force as a map layer (areas filled in their signal colours) for any CityWatch map:
   the warnings page's own map and the incident one-map. It waits for the page's map
   (window.citywatchWarningsMap, else window.citywatchMap), reads GET /api/v1/warnings/?format=geojson
   (the user's jurisdiction) and redraws on warning.* events (citywatchLive, live.js, which the page
   loads before this file) and whenever the stream (re)opens. The map's container says
   data-warnings="loaded" and data-warnings-live="open" | "reconnecting". */
(function () {
  "use strict";
  const script = document.currentScript;
  const API = (script && script.dataset.api) || "/api/v1/warnings/";
  const COLOURS = { blue: "#1e6fd9", yellow: "#f2c200", orange: "#f07c00", red: "#d7191c" };
  const KINDS = ["warning.issued", "warning.updated", "warning.lifted", "warning.expired"];

  async function load() {
    const url = new URL(API, window.location.origin);
    url.searchParams.set("format", "geojson");
    url.searchParams.set("limit", "1000");
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) return { type: "FeatureCollection", features: [] };
    const fc = await r.json();
    fc.features = fc.features.filter((f) => f.geometry);
    fc.features.forEach((f) => { f.properties = { id: f.id, headline: f.properties.headline, level: f.properties.level, colour: COLOURS[f.properties.level] || "#888" }; });
    window.citywatchWarningsLayer = fc;
    return fc;
  }

  async function attach(map) {
    if (map.getSource("warnings-in-force")) return;
    map.addSource("warnings-in-force", { type: "geojson", data: await load() });
    const before = window.CityWatchBasemap && window.CityWatchBasemap.firstLabelLayer ? window.CityWatchBasemap.firstLabelLayer(map) : undefined;
    map.addLayer({ id: "warnings-fill", type: "fill", source: "warnings-in-force", paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.3 } }, before);
    map.addLayer({ id: "warnings-line", type: "line", source: "warnings-in-force", paint: { "line-color": ["get", "colour"], "line-width": 2 } }, before);
    map.getContainer().dataset.warnings = "loaded";
    if (window.citywatchLive) {
      const redraw = async () => {
        map.getSource("warnings-in-force").setData(await load());
        map.getContainer().dataset.warningsDrawn = String((map.getContainer().dataset.warningsDrawn | 0) + 1);
      };
      // (Re)connected: what was issued, updated or lifted while the stream was closed is read again.
      window.addEventListener("citywatch:live", (e) => {
        map.getContainer().dataset.warningsLive = e.detail;
        if (e.detail === "open") redraw();
      });
      window.citywatchLive.subscribe(KINDS, redraw);
    }
  }

  let tries = 0;
  (function wait() {
    const map = window.citywatchWarningsMap || window.citywatchMap;
    if (map) {
      if (map.loaded()) attach(map);
      else map.once("load", () => attach(map));
      return;
    }
    if (++tries < 150) setTimeout(wait, 200);
  })();
})();
