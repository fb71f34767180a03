/* The area map: districts as polygons, streets and communities as points, restricted server-side
   to the user's jurisdiction; above them one layer per resource kind and the coverage layer, each
   loaded the first time it is switched on. No CDN, no glyph server: labels are HTML markers. */
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el) return;
  // Django's JavaScript catalogue (/jsi18n/) defines gettext, ngettext and interpolate.
  const gettext = window.gettext || ((s) => s);
  const ngettext = window.ngettext || ((s, p, n) => (n === 1 ? s : p));
  const status = document.getElementById("map-status");
  const list = document.getElementById("district-list");
  const legend = document.getElementById("map-legend");
  const layersNote = document.getElementById("layers-note");
  const areaPage = (code) => el.dataset.areaPage.replace("CODE", encodeURIComponent(code));
  const resourcePage = (kind, id) => el.dataset.resourcePage.replace("KIND", encodeURIComponent(kind)) + encodeURIComponent(id) + "/";
  const lang = document.documentElement.lang || undefined;
  const num = (n) => (n === null || n === undefined || n === "" ? "–" : Number(n).toLocaleString(lang));
  const PAGE = 1000;
  const EMPTY = { type: "FeatureCollection", features: [] };

  const style = { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef2f5" } }] };
  if (el.dataset.basemap) {
    style.sources.basemap = { type: "raster", tiles: [el.dataset.basemap], tileSize: 256, attribution: el.dataset.attribution || "" };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  const map = new maplibregl.Map({ container: el, style: style, center: [118.1, 24.55], zoom: 9, attributionControl: { compact: true } });
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  window.citywatchMap = map;
  // Every layer's FeatureCollection by name, as drawn (tests and the console read it).
  const loaded = (window.citywatchLayers = {});

  /** All pages of a GeoJSON list endpoint (limit/offset, numberMatched), four requests at a time. */
  async function fetchPages(base, params) {
    const get = async (offset) => {
      const url = new URL(base, window.location.origin);
      Object.entries(params || {}).forEach(([k, v]) => url.searchParams.set(k, v));
      url.searchParams.set("format", "geojson");
      url.searchParams.set("limit", String(PAGE));
      url.searchParams.set("offset", String(offset));
      const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!r.ok) {
        const err = new Error(r.status + " " + r.statusText);
        err.status = r.status;
        throw err;
      }
      return r.json();
    };
    const first = await get(0);
    const features = first.features.slice();
    const total = typeof first.numberMatched === "number" ? first.numberMatched : features.length;
    if (first.features.length === PAGE) {
      const offsets = [];
      for (let offset = PAGE; offset < total; offset += PAGE) offsets.push(offset);
      for (let i = 0; i < offsets.length; i += 4) {
        const pages = await Promise.all(offsets.slice(i, i + 4).map(get));
        pages.forEach((page) => features.push(...page.features));
      }
    }
    return { type: "FeatureCollection", features: features };
  }

  const fetchAll = (level) => fetchPages(el.dataset.areasUrl, { level: level });

  function popup(feature, lngLat) {
    const p = feature.properties;
    const div = document.createElement("div");
    const a = document.createElement("a");
    a.href = areaPage(p.code);
    a.textContent = p.name;
    div.appendChild(a);
    const small = document.createElement("div");
    small.className = "popup-meta";
    small.textContent = p.code + (p.synthetic === true || p.synthetic === "true" ? " · " + gettext("synthetic location") : "");
    div.appendChild(small);
    new maplibregl.Popup().setLngLat(lngLat).setDOMContent(div).addTo(map);
  }

  function bounds(fc) {
    const b = new maplibregl.LngLatBounds();
    const walk = (c) => (typeof c[0] === "number" ? b.extend(c) : c.forEach(walk));
    fc.features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
    return b;
  }

  // --- The overlay registry: one entry per resource kind, plus coverage -------------------------

  const match = (prop, colours, fallback) => ["match", ["get", prop], ...Object.entries(colours).flat(), fallback];
  /** A linear size scale as [value, radius, …] stops: the MapLibre expression and the same scale in JS (legend). */
  function sizeScale(prop, stops) {
    const expression = ["interpolate", ["linear"], ["coalesce", ["get", prop], 0], ...stops];
    const radius = (v) => {
      for (let i = 2; i < stops.length; i += 2) {
        if (v <= stops[i]) return stops[i - 1] + ((v - stops[i - 2]) / (stops[i] - stops[i - 2])) * (stops[i + 1] - stops[i - 1]);
      }
      return stops[stops.length - 1];
    };
    return { expression: expression, radius: radius };
  }
  const yesNo = (v) => (v === true ? gettext("Yes") : gettext("No"));

  const SHELTER_STATUS = { open: "#16a34a", full: "#f97316", closed: "#9ca3af" };
  const TEAM_STATUS = { available: "#2563eb", deployed: "#1e3a8a", unavailable: "#94a3b8" };
  const FACILITY_KIND = {
    eew_terminal: "#7c3aed", micro_fire_station: "#c2410c", fire_checkpoint: "#65a30d", helipad: "#0284c7",
    maritime_sar: "#0e7490", safety_park: "#0d9488", broadcast: "#ca8a04",
  };
  const DUTY_KIND = { info_officer: "#64748b", forest_ranger: "#4d7c0f" };
  const SHELTER_SIZE = sizeScale("capacity", [0, 3.5, 300, 5, 2000, 8, 10000, 12, 50000, 17]);
  const BEDS_SIZE = sizeScale("beds", [0, 4.5, 200, 6, 1000, 9, 3000, 12]);

  /* Each entry: colour (side panel, clusters), cluster settings or null, paint of the points, legend rows,
     title and facts for the popup. Order here is drawing order, bottom first. */
  const OVERLAYS = {
    coverage: {
      colour: "#dc2626",
      cluster: null,
      title: gettext("Coverage"),
      legend: () => [[gettext("Gap: a requirement is not met"), "#dc2626"], [gettext("All requirements met"), "#fff"]],
    },
    "duty-people": {
      colour: "#475569",
      cluster: { radius: 50, maxZoom: 13 },
      paint: { "circle-color": match("kind", DUTY_KIND, "#475569"), "circle-radius": 4 },
      title: gettext("Duty person"),
      legend: () => [[gettext("Disaster information officer"), DUTY_KIND.info_officer], [gettext("Forest ranger"), DUTY_KIND.forest_ranger]],
      facts: (p) => [[gettext("Kind"), p.kind_label]],
    },
    experts: {
      colour: "#0891b2",
      cluster: { radius: 50, maxZoom: 13 },
      paint: { "circle-color": "#0891b2", "circle-radius": 5 },
      title: gettext("Expert"),
      legend: () => [[gettext("Expert"), "#0891b2"]],
      facts: (p) => [[gettext("Specialty"), p.specialty], [gettext("Organisation"), p.organisation], [gettext("Availability"), p.availability_label]],
    },
    facilities: {
      colour: "#7c3aed",
      cluster: { radius: 50, maxZoom: 13 },
      paint: {
        "circle-color": match("kind", FACILITY_KIND, "#64748b"),
        "circle-radius": ["match", ["get", "kind"], "eew_terminal", 3.5, "micro_fire_station", 4.5, 6],
      },
      title: gettext("Facility"),
      legend: () => [
        [gettext("Earthquake early-warning terminal"), FACILITY_KIND.eew_terminal],
        [gettext("Micro fire station"), FACILITY_KIND.micro_fire_station],
        [gettext("Forest fire checkpoint"), FACILITY_KIND.fire_checkpoint],
        [gettext("Helicopter landing point"), FACILITY_KIND.helipad],
        [gettext("Maritime search-and-rescue sub-centre"), FACILITY_KIND.maritime_sar],
        [gettext("Safety culture park"), FACILITY_KIND.safety_park],
        [gettext("Emergency broadcast"), FACILITY_KIND.broadcast],
      ],
      facts: (p) => [[gettext("Kind"), p.kind_label], p.capacity !== null && p.capacity !== undefined ? [gettext("Capacity"), num(p.capacity)] : null],
    },
    depots: {
      colour: "#a16207",
      cluster: { radius: 50, maxZoom: 12 },
      paint: { "circle-color": "#a16207", "circle-radius": ["match", ["get", "kind"], "city", 9, "district", 7, 5] },
      title: gettext("Depot"),
      legend: () => [[gettext("Depot (larger: city or district)"), "#a16207"]],
      facts: (p) => [[gettext("Kind"), p.kind_label]],
    },
    "medical-facilities": {
      colour: "#db2777",
      cluster: null,
      paint: { "circle-color": "#db2777", "circle-radius": BEDS_SIZE.expression },
      title: gettext("Medical facility"),
      legend: () => [[gettext("Medical facility (size: beds)"), "#db2777"]],
      facts: (p) => [[gettext("Level"), p.level_label], [gettext("Beds"), num(p.beds)], [gettext("Emergency department"), yesNo(p.emergency_department)]],
    },
    shelters: {
      colour: "#15803d",
      cluster: { radius: 36, maxZoom: 11 },
      paint: { "circle-color": match("status", SHELTER_STATUS, "#15803d"), "circle-radius": SHELTER_SIZE.expression,
        "circle-stroke-color": match("status", { closed: "#15803d" }, "#fff") },
      title: gettext("Shelter"),
      legend: () => [[gettext("Open"), SHELTER_STATUS.open], [gettext("Full"), SHELTER_STATUS.full], [gettext("Closed"), SHELTER_STATUS.closed]],
      sizes: { caption: gettext("Size: capacity (persons)"), scale: SHELTER_SIZE, values: [300, 2000, 10000] },
      facts: (p) => [
        [gettext("Kind"), p.kind_label],
        [gettext("Status"), p.status_label],
        [gettext("Capacity"), num(p.capacity)],
        [gettext("Occupancy"), num(p.occupancy)],
        p.demonstration === true ? [gettext("Demonstration point"), gettext("Yes")] : null,
      ],
    },
    "rescue-teams": {
      colour: "#2563eb",
      cluster: { radius: 30, maxZoom: 10 },
      paint: { "circle-color": match("status", TEAM_STATUS, "#2563eb"), "circle-radius": 5,
        "circle-stroke-color": match("status", { unavailable: "#2563eb" }, "#fff") },
      title: gettext("Rescue team"),
      legend: () => [[gettext("Available"), TEAM_STATUS.available], [gettext("Deployed"), TEAM_STATUS.deployed], [gettext("Unavailable"), TEAM_STATUS.unavailable]],
      facts: (p) => [[gettext("Kind"), p.kind_label], [gettext("Status"), p.status_label], [gettext("Members"), num(p.members)], [gettext("Readiness"), p.readiness_label]],
    },
  };

  /** The overlays this page offers (the template lists only kinds the user may view), bottom first. */
  const overlays = [];

  function layerSpecs(o) {
    const source = o.source;
    if (o.slug === "coverage") {
      const size = (street, other) => ["match", ["get", "level"], "street", street, other];
      return [
        { id: "coverage-met", type: "circle", source: source, filter: ["==", ["get", "met"], true],
          paint: { "circle-color": "#fff", "circle-opacity": 0.6, "circle-radius": size(5, 3.5), "circle-stroke-color": "#64748b", "circle-stroke-width": 1 } },
        // Gaps are drawn above every other overlay (see addOverlays), with a halo no other dot has.
        { id: "coverage-gap-halo", type: "circle", source: source, filter: ["!=", ["get", "met"], true],
          paint: { "circle-color": "#dc2626", "circle-opacity": 0.15, "circle-radius": size(16, 13), "circle-stroke-color": "#dc2626", "circle-stroke-width": 1.5, "circle-stroke-opacity": 0.6 } },
        { id: "coverage-gap", type: "circle", source: source, filter: ["!=", ["get", "met"], true],
          paint: { "circle-color": "#dc2626", "circle-radius": size(9, 7), "circle-stroke-color": "#fff", "circle-stroke-width": 2 } },
      ];
    }
    const specs = [];
    if (o.def.cluster) {
      specs.push({ id: "res-" + o.slug + "-cluster", type: "circle", source: source, filter: ["has", "point_count"],
        paint: { "circle-color": o.def.colour, "circle-opacity": 0.85, "circle-stroke-color": "#fff", "circle-stroke-width": 2,
          "circle-radius": ["step", ["get", "point_count"], 10, 10, 12, 50, 15, 200, 18] } });
    }
    specs.push({ id: "res-" + o.slug + "-point", type: "circle", source: source, filter: ["!", ["has", "point_count"]],
      paint: Object.assign({ "circle-stroke-color": "#fff", "circle-stroke-width": 1.2, "circle-opacity": 0.9 }, o.def.paint) });
    return specs;
  }

  /** Empty sources and hidden layers for every overlay, in drawing order; data comes on first use. */
  function addOverlays() {
    Object.keys(OVERLAYS).forEach((slug) => {
      const box = document.querySelector('input[data-resource="' + slug + '"]');
      if (!box) return;
      const def = OVERLAYS[slug];
      const o = { slug: slug, def: def, box: box, source: "overlay-" + slug, features: [], loading: null,
        count: document.querySelector('[data-count-for="' + slug + '"]'), name: box.parentElement.querySelector(".layer-name") };
      const options = { type: "geojson", data: EMPTY };
      if (def.cluster) Object.assign(options, { cluster: true, clusterRadius: def.cluster.radius, clusterMaxZoom: def.cluster.maxZoom });
      map.addSource(o.source, options);
      o.layers = layerSpecs(o);
      o.layers.forEach((spec) => map.addLayer(Object.assign(spec, { layout: { visibility: "none" } })));
      o.clusterLayer = def.cluster ? o.layers[0].id : null;
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.backgroundColor = def.colour;
      box.after(swatch);
      box.addEventListener("change", () => show(o, box.checked));
      overlays.push(o);
    });
    ["coverage-gap-halo", "coverage-gap"].forEach((id) => map.getLayer(id) && map.moveLayer(id));
  }

  function show(o, on) {
    o.layers.forEach((spec) => map.setLayoutProperty(spec.id, "visibility", on ? "visible" : "none"));
    renderLegend();
    dodgeClusters();
    if (on && !o.loading) o.loading = load(o);
  }

  async function load(o) {
    o.box.dataset.state = "loading";
    o.count.textContent = "…";
    try {
      const fc = await fetchPages(o.box.dataset.url);
      o.features = fc.features.filter((f) => f.geometry);
      loaded[o.slug] = { type: "FeatureCollection", features: o.features };
      // The map gets copies whose id is the index into o.features, so a click finds the original
      // properties (MapLibre flattens nested values) whatever the feature's own id looks like.
      map.getSource(o.source).setData({ type: "FeatureCollection",
        features: o.features.map((f, i) => ({ type: "Feature", id: i, geometry: f.geometry, properties: f.properties })) });
      const unlocated = fc.features.length - o.features.length;
      if (o.slug === "coverage") {
        const gaps = o.features.filter((f) => f.properties.met !== true).length;
        o.count.textContent = interpolate(ngettext("%s gap", "%s gaps", gaps), [num(gaps)]);
      } else {
        o.count.textContent = unlocated ? num(o.features.length) + " / " + num(fc.features.length) : num(o.features.length);
      }
      o.count.title = unlocated
        ? interpolate(ngettext("%s record has no location and is not drawn", "%s records have no location and are not drawn", unlocated), [num(unlocated)])
        : "";
      o.box.dataset.count = String(o.features.length);
      o.box.dataset.state = "loaded";
      if (o.features.some((f) => f.properties.synthetic === true)) document.getElementById("synthetic-resources-note").hidden = false;
    } catch (err) {
      loaded[o.slug] = EMPTY;
      o.count.textContent = "–";
      if (err.status === 404 && o.slug === "coverage") {
        o.box.dataset.state = "unavailable";
        note(gettext("The coverage analysis is not available on this server yet: the coverage layer stays empty."));
      } else {
        o.box.dataset.state = "error";
        o.loading = null; // switching the layer on again retries
        note(interpolate(gettext("Could not load %(layer)s: %(error)s"), { layer: o.name.textContent, error: err.message }, true));
      }
    }
  }

  function note(text) {
    layersNote.textContent = text;
    layersNote.hidden = false;
  }

  function legendRow(label, colour, radius) {
    const row = document.createElement("div");
    row.className = "legend-row";
    const dot = document.createElement("span");
    dot.className = "legend-dot";
    dot.style.backgroundColor = colour;
    if (radius) {
      dot.style.width = dot.style.height = 2 * radius + "px";
    }
    row.append(dot, document.createTextNode(label));
    return row;
  }

  /** Legend of the layers switched on, top layer first. */
  function renderLegend() {
    legend.replaceChildren();
    const on = overlays.filter((o) => o.box.checked).reverse();
    on.forEach((o) => {
      const section = document.createElement("section");
      section.dataset.legendFor = o.slug;
      const h = document.createElement("h3");
      h.textContent = o.name.textContent;
      section.appendChild(h);
      o.def.legend().forEach(([label, colour]) => section.appendChild(legendRow(label, colour)));
      if (o.def.sizes) {
        const sizes = document.createElement("div");
        sizes.className = "legend-sizes";
        const caption = document.createElement("span");
        caption.textContent = o.def.sizes.caption;
        sizes.appendChild(caption);
        o.def.sizes.values.forEach((v) => {
          const item = document.createElement("span");
          item.className = "legend-size";
          item.appendChild(legendRow(num(v), "#cbd5e1", o.def.sizes.scale.radius(v)));
          sizes.appendChild(item);
        });
        section.appendChild(sizes);
      }
      legend.appendChild(section);
    });
    if (on.some((o) => o.def.cluster)) {
      const p = document.createElement("p");
      p.className = "legend-note";
      p.textContent = gettext("A circle with a number is a cluster in the layer's colour: click it to zoom in.");
      legend.appendChild(p);
    }
    legend.hidden = on.length === 0;
  }

  // --- Cluster counts: HTML markers for the clusters on screen only (no glyph server) ------------

  /* Kinds gather round the same places, so their clusters would sit on one another: the clusters of the
     clustered kinds switched on are fanned out round their centre by a few pixels (points stay put). */
  function dodgeClusters() {
    const on = overlays.filter((o) => o.clusterLayer && o.box.checked);
    const distance = on.length > 2 ? 15 : 10;
    on.forEach((o, i) => {
      const angle = Math.PI + (2 * Math.PI * i) / on.length;
      o.offset = on.length > 1 ? [Math.round(distance * Math.cos(angle)), Math.round(distance * Math.sin(angle))] : [0, 0];
      map.setPaintProperty(o.clusterLayer, "circle-translate", o.offset);
    });
    clusterMarkers.forEach((marker) => marker.remove());
    clusterMarkers.clear();
  }

  const clusterMarkers = new Map();
  function updateClusterCounts() {
    const layers = overlays.filter((o) => o.clusterLayer && o.box.checked).map((o) => o.clusterLayer);
    const seen = new Set();
    (layers.length ? map.queryRenderedFeatures({ layers: layers }) : []).forEach((f) => {
      const key = f.source + ":" + f.properties.cluster_id;
      if (seen.has(key)) return;
      seen.add(key);
      if (clusterMarkers.has(key)) return;
      const div = document.createElement("div");
      div.className = "cluster-count";
      div.textContent = f.properties.point_count_abbreviated;
      const offset = overlays.find((o) => o.source === f.source).offset || [0, 0];
      clusterMarkers.set(key, new maplibregl.Marker({ element: div, offset: offset }).setLngLat(f.geometry.coordinates).addTo(map));
    });
    clusterMarkers.forEach((marker, key) => {
      if (!seen.has(key)) {
        marker.remove();
        clusterMarkers.delete(key);
      }
    });
  }

  // --- Popups -------------------------------------------------------------------------------------

  function facts(rows) {
    const dl = document.createElement("dl");
    dl.className = "popup-facts";
    rows.filter((r) => r && r[1] !== null && r[1] !== undefined && r[1] !== "").forEach(([label, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = String(value);
      dl.append(dt, dd);
    });
    return dl;
  }

  function resourceEntry(o, f) {
    const p = f.properties;
    const div = document.createElement("div");
    div.className = "popup-resource";
    const kind = document.createElement("div");
    kind.className = "popup-kind";
    const dot = document.createElement("span");
    dot.className = "legend-dot";
    dot.style.backgroundColor = o.def.colour;
    kind.append(dot, document.createTextNode(o.def.title));
    const a = document.createElement("a");
    a.className = "popup-title";
    a.href = resourcePage(o.slug, p.id);
    a.textContent = p.name;
    div.append(kind, a);
    div.appendChild(facts(o.def.facts(p).concat([[gettext("Area"), p.area_name]])));
    if (p.synthetic === true) {
      const badge = document.createElement("span");
      badge.className = "badge synthetic";
      badge.textContent = gettext("synthetic (demo)");
      div.appendChild(badge);
    }
    return div;
  }

  // GET /api/v1/coverage?format=geojson gives each requirement flat: <key>_met and <key>_count.
  const REQUIREMENTS = {
    shelter_point: gettext("Shelter point"),
    info_officer: gettext("Disaster information officer"),
    rescue_team: gettext("Rescue team"),
    demo_shelter: gettext("Shelter demonstration point"),
    supply_station: gettext("Supply reserve station"),
    micro_fire_station: gettext("Micro fire station"),
  };

  function coverageEntry(f) {
    const p = f.properties;
    const div = document.createElement("div");
    div.className = "popup-coverage";
    const a = document.createElement("a");
    a.className = "popup-title";
    a.textContent = p.name || p.code || "";
    if (p.code) a.href = areaPage(p.code);
    const verdict = document.createElement("div");
    verdict.className = p.met === true ? "coverage-met" : "coverage-gap";
    verdict.textContent = p.met === true ? gettext("All requirements met") : gettext("Gap: a requirement is not met");
    div.append(a, verdict);
    const keys = Object.keys(p).filter((k) => k.endsWith("_met") && k !== "met").map((k) => k.slice(0, -4));
    if (keys.length) {
      const ul = document.createElement("ul");
      ul.className = "requirements";
      keys.forEach((key) => {
        const met = p[key + "_met"] === true;
        const li = document.createElement("li");
        li.className = met ? "met" : "gap";
        const count = p[key + "_count"];
        li.textContent = (met ? "✓ " : "✗ ") + (REQUIREMENTS[key] || key) + (count === undefined ? "" : ": " + num(count));
        ul.appendChild(li);
      });
      div.appendChild(ul);
    }
    if (p.code && el.dataset.coveragePage) {
      const report = document.createElement("a");
      report.className = "popup-meta";
      report.href = el.dataset.coveragePage + "?area=" + encodeURIComponent(p.code);
      report.textContent = gettext("Open in the coverage report");
      div.appendChild(report);
    }
    return div;
  }

  const MAX_IN_POPUP = 5;
  function overlayPopup(hits, lngLat) {
    const div = document.createElement("div");
    div.className = "popup-list";
    const unique = [];
    const seen = new Set();
    hits.forEach((h) => {
      const key = h.source + ":" + h.id;
      if (!seen.has(key)) {
        seen.add(key);
        unique.push(h);
      }
    });
    unique.slice(0, MAX_IN_POPUP).forEach((h) => {
      const o = overlays.find((x) => x.source === h.source);
      const f = o.features[h.id];
      div.appendChild(o.slug === "coverage" ? coverageEntry(f) : resourceEntry(o, f));
    });
    if (unique.length > MAX_IN_POPUP) {
      const more = document.createElement("div");
      more.className = "popup-meta";
      const n = unique.length - MAX_IN_POPUP;
      more.textContent = interpolate(ngettext("and %s more here: zoom in to see it", "and %s more here: zoom in to see them", n), [n]);
      div.appendChild(more);
    }
    const at = unique[0].geometry && unique[0].geometry.type === "Point" ? unique[0].geometry.coordinates : lngLat;
    new maplibregl.Popup({ maxWidth: "320px" }).setLngLat(at).setDOMContent(div).addTo(map);
  }

  const AREA_CLICKABLE = ["streets-point", "communities-point", "districts-fill"];
  const visibleLayers = (ids) => ids.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, "visibility") !== "none");
  const overlayLayerIds = () => visibleLayers(overlays.flatMap((o) => o.layers.map((spec) => spec.id)));
  const around = (pt, pad) => [[pt.x - pad, pt.y - pad], [pt.x + pad, pt.y + pad]];

  /** One click, one answer: a cluster zooms in, resource or coverage points open one popup, else the area. */
  map.on("click", async (e) => {
    const hits = map.queryRenderedFeatures(around(e.point, 3), { layers: overlayLayerIds() });
    if (hits.length) {
      const top = hits[0];
      if (top.properties.cluster) {
        const zoom = await map.getSource(top.source).getClusterExpansionZoom(top.properties.cluster_id);
        map.easeTo({ center: top.geometry.coordinates, zoom: Math.min(zoom, 18) });
        return;
      }
      overlayPopup(hits.filter((h) => !h.properties.cluster), e.lngLat);
      return;
    }
    const areaHits = map.queryRenderedFeatures(e.point, { layers: visibleLayers(AREA_CLICKABLE) });
    if (areaHits.length) popup(areaHits[0], e.lngLat);
  });
  let hover = null; // the last mouse position, tested once per animation frame
  map.on("mousemove", (e) => {
    if (hover === null) {
      requestAnimationFrame(() => {
        const ids = overlayLayerIds().concat(visibleLayers(AREA_CLICKABLE));
        const hit = ids.length && map.queryRenderedFeatures(around(hover, 3), { layers: ids }).length;
        map.getCanvas().style.cursor = hit ? "pointer" : "";
        hover = null;
      });
    }
    hover = e.point;
  });
  map.on("idle", updateClusterCounts);

  map.on("load", async () => {
    addOverlays();
    renderLegend();
    overlays.filter((o) => o.box.checked).forEach((o) => show(o, true));
    // Area layers go below the overlays.
    const below = overlays.length ? overlays[0].layers[0].id : undefined;
    try {
      const [districts, streets, communities] = await Promise.all([fetchAll("district"), fetchAll("street"), fetchAll("community")]);
      Object.assign(loaded, { districts: districts, streets: streets, communities: communities });
      map.addSource("districts", { type: "geojson", data: districts });
      map.addSource("streets", { type: "geojson", data: streets });
      map.addSource("communities", { type: "geojson", data: communities, cluster: true, clusterRadius: 30, clusterMaxZoom: 12 });
      map.addLayer({ id: "districts-fill", type: "fill", source: "districts", paint: { "fill-color": "#3b82f6", "fill-opacity": 0.12 } }, below);
      map.addLayer({ id: "districts-line", type: "line", source: "districts", paint: { "line-color": "#1d4ed8", "line-width": 1.5 } }, below);
      map.addLayer({ id: "communities-cluster", type: "circle", source: "communities", filter: ["has", "point_count"], layout: { visibility: "none" },
        paint: { "circle-color": "#94a3b8", "circle-radius": ["step", ["get", "point_count"], 8, 20, 12, 60, 16], "circle-opacity": 0.7 } }, below);
      map.addLayer({ id: "communities-point", type: "circle", source: "communities", filter: ["!", ["has", "point_count"]], layout: { visibility: "none" },
        paint: { "circle-color": "#64748b", "circle-radius": 3, "circle-stroke-color": "#fff", "circle-stroke-width": 0.5 } }, below);
      map.addLayer({ id: "streets-point", type: "circle", source: "streets",
        paint: { "circle-color": "#f59e0b", "circle-radius": 5, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } }, below);
      const layerGroups = { districts: ["districts-fill", "districts-line"], streets: ["streets-point"], communities: ["communities-cluster", "communities-point"] };
      document.querySelectorAll("input[data-layer]").forEach((box) => {
        const apply = () => layerGroups[box.dataset.layer].forEach((id) => map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none"));
        box.addEventListener("change", apply);
        apply(); // a state the browser restored (back button) is honoured
      });
      // District labels and the side list (HTML, so CJK text needs no glyph server).
      list.replaceChildren();
      districts.features.forEach((f) => {
        const p = f.properties;
        const label = document.createElement("div");
        label.className = "area-label";
        label.textContent = p.name;
        label.dataset.code = p.code;
        if (p.lon !== null) new maplibregl.Marker({ element: label }).setLngLat([p.lon, p.lat]).addTo(map);
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = areaPage(p.code);
        a.textContent = p.name;
        li.appendChild(a);
        const n = streets.features.filter((s) => s.properties.parent_code === p.code).length;
        li.appendChild(document.createTextNode(" · " + interpolate(ngettext("%s street", "%s streets", n), [n])));
        li.dataset.code = p.code;
        list.appendChild(li);
      });
      const synthetic = streets.features.concat(communities.features).some((f) => f.properties.synthetic);
      document.getElementById("synthetic-note").hidden = !synthetic;
      const all = { type: "FeatureCollection", features: districts.features.concat(streets.features) };
      if (all.features.length) map.fitBounds(bounds(all), { padding: 30, duration: 0, maxZoom: 13 });
      status.textContent = interpolate(gettext("Districts: %(districts)s · streets: %(streets)s · communities: %(communities)s"),
        { districts: districts.features.length, streets: streets.features.length, communities: communities.features.length }, true);
      el.dataset.loaded = "true";
    } catch (err) {
      status.textContent = interpolate(gettext("Could not load the areas: %(error)s"), { error: err.message }, true);
      el.dataset.loaded = "error";
    }
  });

  function interpolate(fmt, args, named) {
    if (window.interpolate) return window.interpolate(fmt, args, named);
    if (named) return fmt.replace(/%\((\w+)\)s/g, (_, k) => String(args[k]));
    let i = 0;
    return fmt.replace(/%s/g, () => String(args[i++]));
  }
})();
