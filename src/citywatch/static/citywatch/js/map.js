/* The area map: districts as polygons, streets and communities as points, restricted server-side
   to the user's jurisdiction; above them one layer per resource kind and the coverage layer, each
   loaded the first time it is switched on. The basemap (basemap.js) names places and roads; cluster counts
   are HTML markers. */
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el) return;
  // Django's JavaScript catalogue (/jsi18n/) defines gettext, ngettext and interpolate.
  const gettext = window.gettext || ((s) => s);
  const pgettext = window.pgettext || ((c, s) => s);
  const ngettext = window.ngettext || ((s, p, n) => (n === 1 ? s : p));
  const status = document.getElementById("map-status");
  const list = document.getElementById("district-list");
  const legend = document.getElementById("map-legend");
  const layersNote = document.getElementById("layers-note");
  const areaPage = (code) => el.dataset.areaPage.replace("CODE", encodeURIComponent(code));
  const resourcePage = (kind, id) => el.dataset.resourcePage.replace("KIND", encodeURIComponent(kind)) + encodeURIComponent(id) + "/";
  // Numbers, travel times and distances as every page writes them (format.js).
  const { num, interpolate, minutesText, kmText, methodText, personsText } = window.CityWatchFormat;
  const PAGE = 1000;
  const EMPTY = { type: "FeatureCollection", features: [] };

  // The shared basemap (basemap.js): land and sea, roads, boundaries and names.
  const map = window.CityWatchBasemap.createMap({ container: el, center: [118.1, 24.55], zoom: 9 });
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
        li.textContent = (met ? "✓ " : "✗ ") + (REQUIREMENTS[key] || key) + (count === undefined ? "" : pgettext("label separator", ": ") + num(count));
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
    if (nearbyArmed) {
      // The "What is near here?" tool is waiting for its one click.
      nearbyAt(e.lngLat.lng, e.lngLat.lat);
      return;
    }
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
        map.getCanvas().style.cursor = nearbyArmed ? "crosshair" : hit ? "pointer" : "";
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
    // Area layers go below the basemap's names (and so below the overlays).
    const below = window.CityWatchBasemap.firstLabelLayer(map) || (overlays.length ? overlays[0].layers[0].id : undefined);
    try {
      const [districts, streets, communities] = await Promise.all([fetchAll("district"), fetchAll("street"), fetchAll("community")]);
      Object.assign(loaded, { districts: districts, streets: streets, communities: communities });
      map.addSource("districts", { type: "geojson", data: districts });
      map.addSource("streets", { type: "geojson", data: streets });
      map.addSource("communities", { type: "geojson", data: communities, cluster: true, clusterRadius: 30, clusterMaxZoom: 12 });
      map.addLayer({ id: "districts-fill", type: "fill", source: "districts", paint: { "fill-color": "#3b82f6", "fill-opacity": 0.07 } }, below);
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
      // The side list; HTML district labels only when the basemap does not name the districts itself.
      const labelled = window.CityWatchBasemap.hasPlaceLabels(map);
      list.replaceChildren();
      districts.features.forEach((f) => {
        const p = f.properties;
        if (!labelled && p.lon !== null) {
          const label = document.createElement("div");
          label.className = "area-label";
          label.textContent = p.name;
          label.dataset.code = p.code;
          new maplibregl.Marker({ element: label }).setLngLat([p.lon, p.lat]).addTo(map);
        }
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

  // --- Population heat map ------------------------------------------------------------------------

  const popBox = document.getElementById("population-toggle");
  const popNote = document.getElementById("population-note");
  const popCount = document.getElementById("population-count");
  let popLoading = null;

  function addPopulationLayer() {
    map.addSource("population", { type: "geojson", data: EMPTY });
    // Below the resource overlays (and so below the nearby layers), above the basemap.
    const before = overlays.length ? overlays[0].layers[0].id : undefined;
    map.addLayer({
      id: "population-heat", type: "heatmap", source: "population", layout: { visibility: "none" },
      paint: {
        // A 1-km cell of a dense Xiamen district holds a few tens of thousands of people.
        "heatmap-weight": ["interpolate", ["linear"], ["coalesce", ["get", "persons"], 0], 0, 0, 2000, 0.3, 20000, 1],
        "heatmap-intensity": ["interpolate", ["linear"], ["zoom"], 7, 1, 10, 1.5, 13, 2, 16, 3],
        // Roughly one cell's width on screen, so neighbouring cells blend into a surface.
        "heatmap-radius": ["interpolate", ["exponential", 2], ["zoom"], 7, 4, 10, 20, 13, 100, 15, 400],
        "heatmap-color": ["interpolate", ["linear"], ["heatmap-density"],
          0, "rgba(255,255,178,0)", 0.15, "rgba(254,217,118,0.55)", 0.35, "#feb24c", 0.55, "#fd8d3c", 0.75, "#f03b20", 1, "#bd0026"],
        "heatmap-opacity": ["interpolate", ["linear"], ["zoom"], 7, 0.8, 16, 0.55],
      },
    }, before);
  }

  async function loadPopulation() {
    popBox.dataset.state = "loading";
    popCount.textContent = "…";
    try {
      const url = new URL(popBox.dataset.url, window.location.origin);
      url.searchParams.set("cell_m", "1000");
      const fc = await getJSON(url);
      loaded.population = fc;
      map.getSource("population").setData({ type: "FeatureCollection", features: fc.features || [] });
      const notes = [];
      if (fc.total === null || fc.total === undefined) {
        popCount.textContent = "";
        notes.push(gettext("No population grid is loaded on this server: the heat map stays empty."));
      } else {
        popCount.textContent = num(fc.total);
        notes.push(interpolate(gettext("Population: %(total)s persons in %(cells)s cells of %(cell)s m."),
          { total: num(fc.total), cells: num((fc.features || []).length), cell: num(fc.cell_m || 1000) }, true));
        if (fc.synthetic) notes.push(gettext("The population grid is synthetic (demo data), not a census."));
      }
      popNote.textContent = notes.join(" ");
      popNote.hidden = false;
      popBox.dataset.state = "loaded";
    } catch (err) {
      popBox.dataset.state = "error";
      popCount.textContent = "";
      popLoading = null; // switching it on again retries
      popNote.textContent = interpolate(gettext("Could not load the population: %(error)s"), { error: err.message }, true);
      popNote.hidden = false;
    }
  }

  function showPopulation(on) {
    if (!map.getLayer("population-heat")) return;
    map.setLayoutProperty("population-heat", "visibility", on ? "visible" : "none");
    popNote.hidden = !on || !popNote.textContent;
    if (on && !popLoading) popLoading = loadPopulation();
  }

  // --- "What is near here?": ranked resources by travel time, isochrone, routes --------------------

  const nearbyBox = document.getElementById("nearby");
  const nearbyArm = document.getElementById("nearby-arm");
  const nearbyClear = document.getElementById("nearby-clear");
  const nearbyStatus = document.getElementById("nearby-status");
  const nearbyResults = document.getElementById("nearby-results");
  const NEARBY_KINDS = ["rescue-teams", "depots", "medical-facilities", "shelters"];
  const NEARBY_TITLES = {
    "rescue-teams": gettext("Rescue teams"),
    depots: gettext("Depots"),
    "medical-facilities": gettext("Medical facilities"),
    shelters: gettext("Shelters"),
  };
  const NEARBY_MINUTES = 60;
  const ISOCHRONE_MINUTES = 15;
  const NEARBY_RADIUS_M = 5000;
  let nearbyArmed = false;
  let nearbyMarker = null;
  let nearbyRun = 0; // a newer request makes the answers of older ones stale

  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) {
      let detail = r.status + " " + r.statusText;
      try {
        const body = await r.json();
        if (body && typeof body.detail === "string") detail = body.detail;
      } catch (e) { /* not JSON */ }
      const err = new Error(detail);
      err.status = r.status;
      throw err;
    }
    return r.json();
  }

  function nearbyLayers() {
    map.addSource("nearby-isochrone", { type: "geojson", data: EMPTY });
    map.addSource("nearby-route", { type: "geojson", data: EMPTY });
    map.addSource("nearby-items", { type: "geojson", data: EMPTY });
    map.addLayer({ id: "nearby-isochrone-fill", type: "fill", source: "nearby-isochrone",
      paint: { "fill-color": "#7c3aed", "fill-opacity": 0.1 } });
    map.addLayer({ id: "nearby-isochrone-line", type: "line", source: "nearby-isochrone",
      paint: { "line-color": "#7c3aed", "line-width": 1.5, "line-opacity": 0.9 } });
    map.addLayer({ id: "nearby-route-casing", type: "line", source: "nearby-route",
      layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": "#fff", "line-width": 7 } });
    map.addLayer({ id: "nearby-route-line", type: "line", source: "nearby-route", filter: ["==", ["get", "eta_method"], "road"],
      layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": "#e11d48", "line-width": 4 } });
    // An estimated route is a straight line, not a road: dashed.
    map.addLayer({ id: "nearby-route-estimated", type: "line", source: "nearby-route", filter: ["!=", ["get", "eta_method"], "road"],
      paint: { "line-color": "#e11d48", "line-width": 4, "line-dasharray": [2, 1.5] } });
    const colours = {};
    NEARBY_KINDS.forEach((k) => (colours[k] = OVERLAYS[k].colour));
    map.addLayer({ id: "nearby-items-point", type: "circle", source: "nearby-items",
      paint: { "circle-color": match("kind", colours, "#334155"), "circle-radius": 7,
        "circle-stroke-color": "#fff", "circle-stroke-width": 2, "circle-opacity": 0.95 } });
  }

  function setNearbyState(state) {
    el.dataset.nearby = state;
    nearbyBox.dataset.nearby = state;
  }

  function armNearby(on) {
    nearbyArmed = on;
    nearbyArm.setAttribute("aria-pressed", on ? "true" : "false");
    nearbyArm.classList.toggle("armed", on);
    map.getCanvas().style.cursor = on ? "crosshair" : "";
    if (on) nearbyStatus.textContent = gettext("Click the map where you want to know what is near (Esc cancels).");
    else if (nearbyStatus.dataset.armedText === "1") nearbyStatus.textContent = "";
    nearbyStatus.dataset.armedText = on ? "1" : "";
  }

  function clearNearby() {
    nearbyRun += 1;
    armNearby(false);
    if (nearbyMarker) nearbyMarker.remove();
    nearbyMarker = null;
    ["nearby-isochrone", "nearby-route", "nearby-items"].forEach((id) => map.getSource(id) && map.getSource(id).setData(EMPTY));
    delete loaded["nearby-isochrone"];
    delete loaded["nearby-route"];
    window.citywatchNearby = null;
    window.citywatchNearbyIsochrone = null;
    window.citywatchNearbyRoute = null;
    nearbyResults.replaceChildren();
    nearbyStatus.textContent = "";
    nearbyClear.hidden = true;
    delete el.dataset.nearby;
    delete nearbyBox.dataset.nearby;
    delete el.dataset.nearbyRoute;
  }

  function para(className, text) {
    const p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    return p;
  }

  function renderNearby(answer, iso, isoError, lon, lat) {
    nearbyResults.replaceChildren();
    const estimated = !answer.network || answer.network.mode !== "road";
    const summary = document.createElement("div");
    summary.className = "nearby-summary";
    summary.appendChild(para("nearby-point", interpolate(gettext("Point: %(lon)s, %(lat)s"),
      { lon: lon.toFixed(5), lat: lat.toFixed(5) }, true)));
    const mode = para("nearby-mode " + (estimated ? "estimated" : "road"), estimated
      ? gettext("Travel times are estimated: no road network is loaded, so they come from straight-line distance, a detour factor and an average speed.")
      : gettext("Travel times by road."));
    mode.dataset.mode = estimated ? "estimated" : "road";
    if (!estimated && answer.network.source) mode.title = answer.network.source;  // the file, for whoever asks
    summary.appendChild(mode);
    if (answer.network && answer.network.synthetic) summary.appendChild(para("nearby-mode estimated", gettext("The road network is synthetic (demo).")));
    if (answer.origin && answer.origin.on_network === false && !estimated) {
      summary.appendChild(para("note", interpolate(gettext("The point is %(m)s m from the nearest road."),
        { m: num(answer.origin.snap_distance_m) }, true)));
    }
    const pop = answer.population || {};
    summary.appendChild(para("nearby-population", interpolate(gettext("Population within %(km)s: %(persons)s"),
      { km: kmText(pop.radius_m), persons: personsText(pop.persons) }, true)));
    if (iso) {
      summary.appendChild(para("nearby-population", interpolate(gettext("Population within %(minutes)s minutes (outlined, %(method)s): %(persons)s"),
        { minutes: num(ISOCHRONE_MINUTES), method: methodText(iso.properties && iso.properties.eta_method), persons: personsText(iso.properties && iso.properties.persons) }, true)));
    } else if (isoError) {
      summary.appendChild(para("note", interpolate(gettext("No %(minutes)s-minute outline: %(error)s"), { minutes: num(ISOCHRONE_MINUTES), error: isoError }, true)));
    }
    nearbyResults.appendChild(summary);

    const items = answer.items || [];
    if (!items.length) {
      nearbyResults.appendChild(para("note nearby-empty", interpolate(gettext("Nothing you can see within %(minutes)s minutes."), { minutes: num(NEARBY_MINUTES) }, true)));
    }
    kindsOffered().forEach((kind) => {
      const mine = items.filter((i) => i.kind === kind);
      if (!mine.length) return;
      const section = document.createElement("section");
      section.className = "nearby-group";
      section.dataset.kind = kind;
      const h = document.createElement("h3");
      const dot = document.createElement("span");
      dot.className = "legend-dot";
      dot.style.backgroundColor = OVERLAYS[kind].colour;
      h.append(dot, document.createTextNode(" " + NEARBY_TITLES[kind] + " (" + num(mine.length) + ")"));
      section.appendChild(h);
      const ol = document.createElement("ol");
      ol.className = "nearby-list";
      mine.forEach((item) => {
        const li = document.createElement("li");
        li.className = "nearby-item";
        li.dataset.kind = item.kind;
        li.dataset.id = String(item.id);
        li.dataset.etaMethod = item.eta_method;
        const button = document.createElement("button");
        button.type = "button";
        button.className = "nearby-pick";
        button.title = item.direction === "to" ? gettext("Show the route from here to the point") : gettext("Show the route from the point to here");
        const name = document.createElement("span");
        name.className = "nearby-name";
        name.textContent = item.name;
        const meta = document.createElement("span");
        meta.className = "nearby-meta";
        const eta = document.createElement("span");
        eta.className = "nearby-eta";
        eta.textContent = minutesText(item.eta_s);
        const dist = document.createElement("span");
        dist.className = "nearby-distance";
        dist.textContent = kmText(item.distance_m);
        const method = document.createElement("span");
        method.className = "nearby-method " + (item.eta_method === "road" ? "road" : "estimated");
        method.textContent = methodText(item.eta_method);
        meta.append(eta, document.createTextNode(" · "), dist, document.createTextNode(" · "), method);
        button.append(name, meta);
        button.addEventListener("click", () => showRoute(item, li));
        li.appendChild(button);
        ol.appendChild(li);
      });
      section.appendChild(ol);
      nearbyResults.appendChild(section);
    });
    const routeInfo = para("nearby-route-info", "");
    routeInfo.id = "nearby-route-info";
    routeInfo.setAttribute("role", "status");
    routeInfo.hidden = true;
    nearbyResults.appendChild(routeInfo);
  }

  /** The nearby kinds this user may see (the template offers a layer box only for those). */
  const kindsOffered = () => NEARBY_KINDS.filter((k) => document.querySelector('input[data-resource="' + k + '"]'));

  async function nearbyAt(lon, lat) {
    lon = Number(lon);
    lat = Number(lat);
    const run = ++nearbyRun;
    armNearby(false);
    setNearbyState("loading");
    delete el.dataset.nearbyRoute;
    nearbyStatus.textContent = gettext("Looking for what is near…");
    nearbyClear.hidden = false;
    if (nearbyMarker) nearbyMarker.remove();
    const pin = document.createElement("div");
    pin.className = "nearby-pin";
    pin.title = gettext("The point asked about");
    nearbyMarker = new maplibregl.Marker({ element: pin }).setLngLat([lon, lat]).addTo(map);
    map.getSource("nearby-route").setData(EMPTY);
    map.getSource("nearby-items").setData(EMPTY);
    map.getSource("nearby-isochrone").setData(EMPTY);

    const kinds = kindsOffered();
    const nearbyUrl = new URL(nearbyBox.dataset.nearbyUrl, window.location.origin);
    Object.entries({ lon: lon, lat: lat, kinds: kinds.join(","), minutes: NEARBY_MINUTES, radius_m: NEARBY_RADIUS_M, limit: 10 })
      .forEach(([k, v]) => nearbyUrl.searchParams.set(k, String(v)));
    const isoUrl = new URL(nearbyBox.dataset.isochroneUrl, window.location.origin);
    Object.entries({ lon: lon, lat: lat, minutes: ISOCHRONE_MINUTES, direction: "from" })
      .forEach(([k, v]) => isoUrl.searchParams.set(k, String(v)));
    const empty = { origin: { lon: lon, lat: lat }, network: null, items: [], population: { radius_m: NEARBY_RADIUS_M, persons: null } };
    const [near, iso] = await Promise.allSettled([kinds.length ? getJSON(nearbyUrl) : Promise.resolve(empty), getJSON(isoUrl)]);
    if (run !== nearbyRun) return null; // cleared or superseded meanwhile
    if (near.status === "rejected") {
      nearbyStatus.textContent = interpolate(gettext("Could not find what is near: %(error)s"), { error: near.reason.message }, true);
      setNearbyState("error");
      return null;
    }
    const answer = near.value;
    const isochrone = iso.status === "fulfilled" ? iso.value : null;
    window.citywatchNearby = answer;
    window.citywatchNearbyIsochrone = isochrone;
    if (isochrone) {
      loaded["nearby-isochrone"] = isochrone;
      // Drawn as its outer outline: the holes between the roads of a network isochrone are noise here.
      const g = isochrone.geometry;
      const outer = g && g.type === "Polygon" ? { type: "Polygon", coordinates: [g.coordinates[0]] }
        : g && g.type === "MultiPolygon" ? { type: "MultiPolygon", coordinates: g.coordinates.map((poly) => [poly[0]]) } : g;
      map.getSource("nearby-isochrone").setData({ type: "Feature", geometry: outer, properties: isochrone.properties || {} });
    }
    map.getSource("nearby-items").setData({ type: "FeatureCollection", features: answer.items.map((i) => ({
      type: "Feature", geometry: { type: "Point", coordinates: [i.lon, i.lat] }, properties: { kind: i.kind, id: i.id, name: i.name } })) });
    renderNearby(answer, isochrone, iso.status === "rejected" ? iso.reason.message : null, lon, lat);
    const n = answer.items.length;
    nearbyStatus.textContent = interpolate(ngettext("%(n)s result within %(minutes)s minutes, fastest first. Click one for its route.",
      "%(n)s results within %(minutes)s minutes, fastest first. Click one for its route.", n), { n: num(n), minutes: num(NEARBY_MINUTES) }, true);
    // Frame the point, the outline and the results.
    const b = new maplibregl.LngLatBounds([lon, lat], [lon, lat]);
    answer.items.forEach((i) => b.extend([i.lon, i.lat]));
    if (isochrone) bounds({ type: "FeatureCollection", features: [isochrone] }).toArray().forEach((c) => b.extend(c));
    map.fitBounds(b, { padding: 60, maxZoom: 14, duration: 0 });
    setNearbyState("loaded");
    return answer;
  }

  async function showRoute(item, li) {
    const answer = window.citywatchNearby;
    if (!answer) return null;
    const here = [answer.origin.lon, answer.origin.lat];
    const there = [item.lon, item.lat];
    // Teams and depots travel to the point; people go from the point to shelters and hospitals.
    const [from, to] = item.direction === "to" ? [there, here] : [here, there];
    const url = new URL(nearbyBox.dataset.routeUrl, window.location.origin);
    url.searchParams.set("from", from.join(","));
    url.searchParams.set("to", to.join(","));
    const run = nearbyRun;
    nearbyResults.querySelectorAll(".nearby-item.selected").forEach((x) => x.classList.remove("selected"));
    li.classList.add("selected");
    const info = document.getElementById("nearby-route-info");
    info.hidden = false;
    info.textContent = gettext("Finding the route…");
    el.dataset.nearbyRoute = "loading";
    try {
      const route = await getJSON(url);
      if (run !== nearbyRun) return null;
      route.properties = route.properties || {};
      window.citywatchNearbyRoute = route;
      loaded["nearby-route"] = route;
      map.getSource("nearby-route").setData(route);
      const p = route.properties;
      info.textContent = interpolate(gettext("Route: %(name)s — %(eta)s, %(distance)s (%(method)s)"), {
        name: item.name, eta: minutesText(p.eta_s), distance: kmText(p.distance_m), method: methodText(p.eta_method || item.eta_method) }, true);
      info.dataset.etaMethod = p.eta_method || item.eta_method;
      // Keep the view (the outline and the other results) unless the route runs out of it.
      const b = bounds({ type: "FeatureCollection", features: [route] });
      const view = map.getBounds();
      if (!b.isEmpty() && !(view.contains(b.getSouthWest()) && view.contains(b.getNorthEast()))) {
        b.extend(view.getSouthWest()).extend(view.getNorthEast());
        map.fitBounds(b, { padding: 40, duration: 0 });
      }
      el.dataset.nearbyRoute = "loaded";
      return route;
    } catch (err) {
      info.textContent = interpolate(gettext("Could not find a route: %(error)s"), { error: err.message }, true);
      el.dataset.nearbyRoute = "error";
      return null;
    }
  }

  nearbyArm.addEventListener("click", () => armNearby(!nearbyArmed));
  nearbyClear.addEventListener("click", clearNearby);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && nearbyArmed) armNearby(false);
  });
  map.on("contextmenu", (e) => {
    if (e.originalEvent) e.originalEvent.preventDefault();
    nearbyAt(e.lngLat.lng, e.lngLat.lat);
  });
  /** Entry point for tests and the console: resolves to the nearby answer (null on error). */
  window.citywatchNearbyAt = (lon, lat) => nearbyReady.then(() => nearbyAt(lon, lat));
  let resolveNearbyReady;
  const nearbyReady = new Promise((resolve) => (resolveNearbyReady = resolve));

  map.on("load", () => {
    addPopulationLayer();
    nearbyLayers();
    popBox.addEventListener("change", () => showPopulation(popBox.checked));
    if (popBox.checked) showPopulation(true); // a state the browser restored
    resolveNearbyReady();
  });
})();
