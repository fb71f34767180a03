/*
 * The station map: every station the user may see (GET /api/v1/monitoring/stations/?format=geojson),
 * clustered at city scale, each coloured by its state — the worst live alarm's level, else normal, or grey
 * when stale. A cluster takes the colour of its worst station. The data are fetched again every
 * data-refresh-seconds and whenever an alarm message arrives over the event stream (live.js), so gauges
 * climb and alarms appear without a reload. A click opens the station's newest readings and a link to
 * its page. window.citywatchStations holds the last FeatureCollection (tests read it).
 */
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el) return;
  const gettext = window.gettext || ((s) => s);
  const COLOURS = { normal: "#16a34a", blue: "#2563eb", yellow: "#eab308", orange: "#f97316", red: "#dc2626", stale: "#9ca3af" };
  const RANK = { stale: 0, normal: 1, blue: 2, yellow: 3, orange: 4, red: 5 };
  const BY_RANK = ["stale", "normal", "blue", "yellow", "orange", "red"];
  const statusEl = document.getElementById("station-status");
  const updatedEl = document.getElementById("station-updated");
  const kindSelect = document.getElementById("station-kind");
  const refreshSeconds = Number(el.dataset.refreshSeconds || 20);
  const stationPage = el.dataset.stationPage;
  let byId = new Map();
  let loading = false;
  let again = false;

  const map = window.CityWatchBasemap.createMap({ container: el, center: [118.12, 24.6], zoom: 9.8 });
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  window.citywatchMap = map;

  function colourExpression(key) {
    const expr = ["match", key];
    for (const [state, colour] of Object.entries(COLOURS)) expr.push(state, colour);
    expr.push(COLOURS.normal);
    return expr;
  }

  async function fetchAll() {
    const features = [];
    let offset = 0;
    for (;;) {
      const url = new URL(el.dataset.stationsUrl, window.location.origin);
      url.searchParams.set("format", "geojson");
      url.searchParams.set("limit", "1000");
      url.searchParams.set("offset", String(offset));
      if (kindSelect && kindSelect.value) url.searchParams.set("kind", kindSelect.value);
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const page = await response.json();
      features.push(...page.features);
      offset += page.features.length;
      if (!page.features.length || offset >= (page.numberMatched || 0)) break;
    }
    return { type: "FeatureCollection", features: features };
  }

  function prepare(collection) {
    byId = new Map();
    const counts = {};
    for (const f of collection.features) {
      const p = f.properties;
      byId.set(f.id, p);
      counts[p.state] = (counts[p.state] || 0) + 1;
      // MapLibre keeps flat properties only: what the layers need, the rest stays in byId.
      f.properties = { id: p.id, state: p.state, rank: RANK[p.state] || 0, name: p.name, synthetic: p.synthetic };
    }
    document.querySelectorAll("[data-state-count]").forEach((span) => {
      span.textContent = String(counts[span.dataset.stateCount] || 0);
    });
    const note = document.getElementById("station-synthetic");
    if (note) note.hidden = !collection.features.some((f) => f.properties.synthetic);
    return collection;
  }

  async function refresh() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      do {
        again = false;
        const collection = prepare(await fetchAll());
        window.citywatchStations = collection;
        const source = map.getSource("stations");
        if (source) source.setData(collection);
        statusEl.textContent = interpolate(gettext("%s stations"), [collection.features.length]);
        updatedEl.textContent = interpolate(gettext("Updated %s"), [new Date().toLocaleTimeString()]);
        el.dataset.loaded = String(Number(el.dataset.loaded || 0) + 1);
      } while (again);
    } catch (err) {
      statusEl.textContent = gettext("The stations could not be loaded.");
      console.error(err);
    } finally {
      loading = false;
    }
  }

  function interpolate(text, values) {
    return window.interpolate ? window.interpolate(text, values) : text.replace("%s", values[0]);
  }

  function popupContent(p) {
    const box = document.createElement("div");
    box.className = "station-popup";
    const h = document.createElement("h3");
    const a = document.createElement("a");
    a.href = stationPage.replace("/0/", "/" + p.id + "/");
    a.textContent = p.name;
    h.appendChild(a);
    box.appendChild(h);
    const meta = document.createElement("p");
    meta.className = "note";
    meta.textContent = [p.kind_label, p.area_name, p.department].join(" · ");
    box.appendChild(meta);
    const table = document.createElement("table");
    for (const r of p.latest || []) {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = r.name;
      const value = document.createElement("td");
      value.textContent = r.value + " " + r.unit;
      value.className = "latest-value";
      value.dataset.variable = r.variable;
      tr.append(name, value);
      table.appendChild(tr);
    }
    box.appendChild(table);
    const state = document.createElement("p");
    const label = {
      normal: gettext("Normal"), stale: gettext("Not reporting"), blue: gettext("Blue alarm"),
      yellow: gettext("Yellow alarm"), orange: gettext("Orange alarm"), red: gettext("Red alarm"),
    }[p.state];
    state.textContent = label + (p.last_seen_at ? " · " + new Date(p.last_seen_at).toLocaleString() : "");
    box.appendChild(state);
    if (p.synthetic) {
      const s = document.createElement("span");
      s.className = "badge synthetic";
      s.textContent = gettext("synthetic");
      box.appendChild(s);
    }
    return box;
  }

  map.on("load", async () => {
    map.addSource("stations", {
      type: "geojson",
      data: { type: "FeatureCollection", features: [] },
      cluster: true,
      clusterMaxZoom: 11,
      clusterRadius: 40,
      clusterProperties: { worst: ["max", ["get", "rank"]] },
    });
    map.addLayer({
      id: "station-clusters",
      type: "circle",
      source: "stations",
      filter: ["has", "point_count"],
      paint: {
        "circle-color": colourExpression(["at", ["get", "worst"], ["literal", BY_RANK]]),
        "circle-radius": ["step", ["get", "point_count"], 14, 10, 18, 50, 24],
        "circle-opacity": 0.85,
        "circle-stroke-color": "#fff",
        "circle-stroke-width": 2,
      },
    });
    map.addLayer({
      id: "station-cluster-count",
      type: "symbol",
      source: "stations",
      filter: ["has", "point_count"],
      layout: { "text-field": ["get", "point_count_abbreviated"], "text-size": 12 },
      paint: { "text-color": "#fff" },
    });
    map.addLayer({
      id: "station-points",
      type: "circle",
      source: "stations",
      filter: ["!", ["has", "point_count"]],
      paint: {
        "circle-color": colourExpression(["get", "state"]),
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 9, 5, 14, 8],
        "circle-stroke-color": "#fff",
        "circle-stroke-width": 1.5,
      },
    });
    map.on("click", "station-clusters", async (e) => {
      const feature = e.features[0];
      const zoom = await map.getSource("stations").getClusterExpansionZoom(feature.properties.cluster_id);
      map.easeTo({ center: feature.geometry.coordinates, zoom: zoom });
    });
    map.on("click", "station-points", (e) => {
      const p = byId.get(e.features[0].properties.id);
      if (!p) return;
      new maplibregl.Popup({ maxWidth: "320px" }).setLngLat(e.features[0].geometry.coordinates).setDOMContent(popupContent(p)).addTo(map);
    });
    for (const layer of ["station-clusters", "station-points"]) {
      map.on("mouseenter", layer, () => (map.getCanvas().style.cursor = "pointer"));
      map.on("mouseleave", layer, () => (map.getCanvas().style.cursor = ""));
    }
    await refresh();
    el.dataset.ready = "true";
  });

  if (kindSelect) kindSelect.addEventListener("change", refresh);
  window.setInterval(refresh, Math.max(5, refreshSeconds) * 1000);
  if (window.citywatchLive) {
    window.citywatchLive.subscribe(["alarm.*"], () => refresh());
    window.addEventListener("citywatch:live", (e) => (document.body.dataset.live = e.detail));
  }
  window.citywatchStationMap = { refresh: refresh, stations: () => byId };
})();
