/* The warnings page's map: the areas of the warnings in force filled in their signal colours (the API's
   GeoJSON, restricted to the user's jurisdiction), redrawn when a warning is issued, updated, lifted or
   expires (the outbox's event stream). */
(function () {
  "use strict";
  const el = document.getElementById("warnings-map");
  if (!el || !window.CityWatchBasemap) return;
  const data = JSON.parse(document.getElementById("warnings-map-data").textContent);
  const colours = data.colours;
  const map = window.CityWatchBasemap.createMap({ container: el, center: [118.1, 24.6], zoom: 8.6 });
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  window.citywatchWarningsMap = map;
  const EMPTY = { type: "FeatureCollection", features: [] };

  async function load() {
    const url = new URL(el.dataset.api, window.location.origin);
    url.searchParams.set("format", "geojson");
    url.searchParams.set("limit", "1000");
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) return EMPTY;
    const fc = await r.json();
    fc.features.forEach((f) => { f.properties.colour = colours[f.properties.level] || "#888"; });
    window.citywatchWarningsLayer = fc;
    return fc;
  }

  map.on("load", async () => {
    map.addSource("warnings", { type: "geojson", data: await load() });
    const before = window.CityWatchBasemap.firstLabelLayer ? window.CityWatchBasemap.firstLabelLayer(map) : undefined;
    map.addLayer({ id: "warnings-fill", type: "fill", source: "warnings",
      paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.45 } }, before);
    map.addLayer({ id: "warnings-line", type: "line", source: "warnings",
      paint: { "line-color": ["get", "colour"], "line-width": 2 } }, before);
    map.on("click", "warnings-fill", (e) => {
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat).setText(p.headline).addTo(map);
    });
    el.dataset.ready = "1";
    if (window.citywatchLive) {
      window.citywatchLive.subscribe(["warning.issued", "warning.updated", "warning.lifted", "warning.expired"],
        async () => { map.getSource("warnings").setData(await load()); });
    }
  });
})();
