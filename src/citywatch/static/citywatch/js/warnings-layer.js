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

  const gettext = window.gettext || ((s) => s);

  /** The legend on any map but the warnings page's own (which lists them): each warning in force drawn,
      its colour and headline, a link to its page; hidden when there is none. */
  function legend(map) {
    if (window.citywatchWarningsMap === map) return () => {};
    const box = document.createElement("div");
    box.className = "maplibregl-ctrl maplibregl-ctrl-group warnings-legend";
    Object.assign(box.style, { padding: "4px 8px", maxWidth: "18rem", fontSize: "13px", lineHeight: "1.5" });
    map.addControl({ onAdd: () => box, onRemove: () => box.remove() }, "bottom-left");
    return (fc) => {
      box.replaceChildren();
      box.hidden = !fc.features.length;
      if (!fc.features.length) return;
      const title = document.createElement("strong");
      title.textContent = gettext("Warnings in force");
      box.appendChild(title);
      fc.features.forEach((f) => {
        const row = document.createElement("div");
        const swatch = document.createElement("span");
        Object.assign(swatch.style, { display: "inline-block", width: "0.9em", height: "0.9em", marginRight: "0.4em", verticalAlign: "-0.1em", background: f.properties.colour, border: "1px solid rgba(0,0,0,.3)" });
        const link = document.createElement("a");
        link.href = "/warnings/" + encodeURIComponent(f.properties.id) + "/";
        link.textContent = f.properties.headline;
        row.append(swatch, link);
        box.appendChild(row);
      });
    };
  }

  async function attach(map) {
    if (map.getSource("warnings-in-force")) return;
    const showLegend = legend(map);
    const first = await load();
    showLegend(first);
    map.addSource("warnings-in-force", { type: "geojson", data: first });
    const before = window.CityWatchBasemap && window.CityWatchBasemap.firstLabelLayer ? window.CityWatchBasemap.firstLabelLayer(map) : undefined;
    map.addLayer({ id: "warnings-fill", type: "fill", source: "warnings-in-force", paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.3 } }, before);
    map.addLayer({ id: "warnings-line", type: "line", source: "warnings-in-force", paint: { "line-color": ["get", "colour"], "line-width": 2 } }, before);
    map.getContainer().dataset.warnings = "loaded";
    if (window.citywatchLive) {
      const redraw = async () => {
        const fc = await load();
        map.getSource("warnings-in-force").setData(fc);
        showLegend(fc);
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
