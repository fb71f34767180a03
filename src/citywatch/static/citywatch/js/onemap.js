/* Incident command pages: the one-map (/incidents/<id>/), the live incident list (/incidents/) and the team
   leader's phone page (/m/dispatches/). Data comes from the JSON API; live updates from the Server-Sent
   Events stream (/incidents/events). DOM built with DOM APIs only (no HTML from data); the shared basemap
   (basemap.js) names places and roads, the page's own labels (rings, pins) are HTML markers. */
(function () {
  "use strict";
  const gettext = window.gettext || ((s) => s);
  const ngettext = window.ngettext || ((s, p, n) => (n === 1 ? s : p));
  const pgettext = window.pgettext || ((c, s) => s);
  // Numbers, times, travel times and distances as every page writes them (format.js).
  const { lang, num, interpolate, when, minutesText, kmText, methodText, personsText } = window.CityWatchFormat;
  const EMPTY = { type: "FeatureCollection", features: [] };
  const dataEl = document.getElementById("onemap-data");
  const DATA = dataEl ? JSON.parse(dataEl.textContent) : {};
  const LABELS = DATA.labels || { incident_status: {}, dispatch_status: {}, log_kind: {}, dispatch_actions: {} };

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  async function api(url, options) {
    const opts = Object.assign({ credentials: "same-origin", headers: { Accept: "application/json" } }, options || {});
    if (opts.body !== undefined) {
      opts.method = opts.method || "POST";
      opts.headers = Object.assign({}, opts.headers, { "Content-Type": "application/json", "X-CSRFToken": csrfToken() });
      opts.body = JSON.stringify(opts.body);
    }
    const r = await fetch(url, opts);
    let body = null;
    try {
      body = await r.json();
    } catch (e) { /* not JSON */ }
    if (!r.ok) {
      const message = (body && body.error && body.error.message) || (body && typeof body.detail === "string" && body.detail) || r.status + " " + r.statusText;
      const err = new Error(message);
      err.status = r.status;
      throw err;
    }
    return body;
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function showMessage(node, text) {
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  const ACTION_LABELS = {
    verify: gettext("Verify"),
    respond: gettext("Start response"),
    stabilise: gettext("Stabilised"),
    close: gettext("Close"),
    cancel: gettext("Cancel (false report)"),
    reopen: gettext("Reopen"),
    accept: gettext("Accept"),
    decline: gettext("Decline"),
    depart: gettext("En route"),
    arrive: gettext("On scene"),
    complete: gettext("Task complete"),
    release: gettext("Release"),
  };

  /** The live stream: one EventSource, callbacks per event; reconnects by itself (Last-Event-ID). */
  function subscribe(url, last, onEvent) {
    const state = document.getElementById("live-state");
    const u = new URL(url, window.location.origin);
    if (last) u.searchParams.set("last", String(last));
    const source = new EventSource(u);
    window.citywatchEvents = source;
    const setState = (s, text) => {
      document.body.dataset.live = s;
      if (state) {
        state.textContent = text;
        state.className = "live-state " + s;
      }
    };
    source.onopen = () => setState("open", gettext("● live"));
    source.onerror = () => setState("reconnecting", gettext("○ reconnecting…"));
    source.onmessage = (e) => {
      let event;
      try {
        event = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      onEvent(event);
    };
    window.addEventListener("pagehide", () => source.close());
    return source;
  }

  // Shared with command.js (the one-map's command panel: experts, roles and tasks), loaded after this file.
  window.CityWatchUI = { api: api, el: el, showMessage: showMessage, interpolate: interpolate, minutesText: minutesText,
    num: num, labels: LABELS, actionLabels: ACTION_LABELS, lang: lang, when: when };

  const page = document.getElementById("onemap") ? "onemap" : document.getElementById("incident-table") ? "list" : null;
  if (page === "onemap") oneMap();
  else if (page === "list") incidentList();

  // --- The incident list: new incidents and status changes arrive live ----------------------------

  function incidentList() {
    const table = document.getElementById("incident-table");
    const rows = document.getElementById("incident-rows");
    const detail = (id) => table.dataset.detailUrl.replace(/0\/$/, encodeURIComponent(id) + "/");
    subscribe(table.dataset.eventsUrl, null, (ev) => {
      if (ev.type === "incident" && ev.summary && !rows.querySelector('tr[data-id="' + ev.incident + '"]')) {
        const s = ev.summary;
        const tr = el("tr");
        tr.dataset.id = String(s.id);
        tr.className = "new";
        const title = el("td");
        const a = el("a", null, s.title);
        a.href = detail(s.id);
        title.appendChild(a);
        if (s.exercise) {
          const badge = el("span", "badge exercise", "演练");
          badge.title = gettext("Exercise (drill)");
          title.append(" ", badge);
        }
        const status = el("td", "incident-status", LABELS.incident_status[s.status] || s.status);
        status.dataset.status = s.status;
        tr.append(title, status, el("td", null, s.severity_label), el("td", null, s.category_label + " · " + s.type_label),
          el("td", null, s.area), el("td", null, when(s.reported_at, { year: true })));
        const empty = rows.querySelector("tr.empty");
        if (empty) empty.remove();
        rows.prepend(tr);
      } else if (ev.type === "status") {
        const cell = rows.querySelector('tr[data-id="' + ev.incident + '"] .incident-status');
        if (cell) {
          cell.textContent = LABELS.incident_status[ev.status] || ev.status;
          cell.dataset.status = ev.status;
        }
      }
    });
  }

  // --- The one-map --------------------------------------------------------------------------------

  function oneMap() {
    const mapEl = document.getElementById("onemap");
    const incident = DATA.incident;
    const here = [incident.lon, incident.lat];
    const canChange = mapEl.dataset.canChange === "1";
    const canDispatch = mapEl.dataset.canDispatch === "1";
    const loaded = (window.citywatchLayers = {});
    // The rings drawn and the population figures beside them are of the same minutes.
    const RINGS = [5, 15, 30];
    const REACH = RINGS;
    // Ranked by the engine beside the map; every resource kind also has a layer (duty people: layer only).
    // The answers an officer looks for first (teams, then where people go) at the top of the ranked list.
    const NEARBY_KINDS = ["rescue-teams", "shelters", "medical-facilities", "depots", "experts", "facilities"];
    const LAYER_KINDS = NEARBY_KINDS.concat(["duty-people"]);
    const KIND_TITLES = {
      "rescue-teams": gettext("Rescue teams"),
      depots: gettext("Depots"),
      shelters: gettext("Shelters"),
      "medical-facilities": gettext("Medical facilities"),
      experts: gettext("Experts"),
      facilities: gettext("Facilities"),
      "duty-people": gettext("Duty people"),
    };
    const KIND_COLOURS = { "rescue-teams": "#2563eb", depots: "#a16207", shelters: "#15803d", "medical-facilities": "#db2777",
      experts: "#0891b2", facilities: "#7c3aed", "duty-people": "#475569" };
    const SHELTER_STATUS = { open: "#16a34a", full: "#f97316", closed: "#9ca3af" };
    const TEAM_STATUS = { available: "#2563eb", deployed: "#1e3a8a", unavailable: "#94a3b8" };
    const RING_COLOURS = { 5: "#dc2626", 15: "#f97316", 30: "#7c3aed" };
    // The selected route, and the routes of dispatched teams: colours apart from the incident's red.
    const ROUTE_COLOUR = "#0369a1";
    const DISPATCHED_COLOUR = "#7c3aed";
    const match = (prop, colours, fallback) => ["match", ["get", prop], ...Object.entries(colours).flat(), fallback];
    const PAINT = {
      "rescue-teams": { "circle-color": match("status", TEAM_STATUS, "#2563eb"), "circle-radius": 6 },
      depots: { "circle-color": "#a16207", "circle-radius": ["match", ["get", "kind"], "city", 9, "district", 7, 5] },
      shelters: {
        "circle-color": match("status", SHELTER_STATUS, "#15803d"),
        "circle-radius": ["interpolate", ["linear"], ["coalesce", ["get", "capacity"], 0], 0, 3.5, 300, 5, 2000, 8, 10000, 12, 50000, 17],
      },
      "medical-facilities": {
        "circle-color": "#db2777",
        "circle-radius": ["interpolate", ["linear"], ["coalesce", ["get", "beds"], 0], 0, 4.5, 200, 6, 1000, 9, 3000, 12],
      },
      experts: { "circle-color": match("availability", { available: "#0891b2", busy: "#155e75", unavailable: "#94a3b8" }, "#0891b2"), "circle-radius": 5 },
      facilities: { "circle-color": "#7c3aed", "circle-radius": 5 },
      "duty-people": { "circle-color": "#475569", "circle-radius": 4 },
    };
    const BOX = 0.15; // degrees around the incident for the resource layers (about 15 km)
    const around = () => [here[0] - BOX, here[1] - BOX, here[0] + BOX, here[1] + BOX].map((v) => v.toFixed(5)).join(",");
    let bbox = around();
    const state = { status: incident.status, version: incident.version, allowed: incident.allowed_actions || [], nearby: null, run: 0 };
    let ops = null;
    window.citywatchIncident = state;

    const map = window.CityWatchBasemap.createMap({ container: mapEl, center: here, zoom: 12 }); // basemap.js
    map.addControl(new maplibregl.NavigationControl(), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
    window.citywatchMap = map;
    const note = document.getElementById("layers-note");
    const addNote = (text) => {
      note.textContent = (note.textContent ? note.textContent + " " : "") + text;
      note.hidden = false;
    };

    // The incident itself: an HTML marker (pulsing dot) with its title.
    const pin = el("div", "incident-pin");
    pin.title = document.querySelector(".incident-title").textContent.trim();
    const pinMarker = new maplibregl.Marker({ element: pin }).setLngLat(here).addTo(map);
    window.citywatchIncidentPlace = () => pinMarker.getLngLat().toArray();

    const layerBoxes = {};
    document.querySelectorAll("#onemap-layers input[data-layer]").forEach((box) => (layerBoxes[box.dataset.layer] = box));
    const visibility = (ids, on) => ids.forEach((id) => map.getLayer(id) && map.setLayoutProperty(id, "visibility", on ? "visible" : "none"));
    const ringMarkers = [];

    function outline(g) {
      if (!g) return g;
      if (g.type === "Polygon") return { type: "Polygon", coordinates: [g.coordinates[0]] };
      if (g.type === "MultiPolygon") return { type: "MultiPolygon", coordinates: g.coordinates.map((p) => [p[0]]) };
      return g;
    }

    function northmost(g) {
      let best = null;
      const walk = (c) => (typeof c[0] === "number" ? (!best || c[1] > best[1]) && (best = c) : c.forEach(walk));
      if (g) walk(g.coordinates);
      return best;
    }

    async function loadRings() {
      mapEl.dataset.rings = "loading";
      const reach = document.getElementById("reach-list");
      const minutes = RINGS;
      const answers = await Promise.allSettled(minutes.map((m) => {
        const u = new URL(mapEl.dataset.reachUrl, window.location.origin);
        u.searchParams.set("minutes", String(m));
        return api(u);
      }));
      const byMinutes = {};
      answers.forEach((a, i) => (byMinutes[minutes[i]] = a.status === "fulfilled" ? a.value : null));
      loaded.rings = byMinutes;
      ringMarkers.splice(0).forEach((m) => m.remove());
      const features = RINGS.filter((m) => byMinutes[m]).map((m) => ({
        type: "Feature", geometry: outline(byMinutes[m].geometry), properties: { minutes: m, colour: RING_COLOURS[m] } }));
      map.getSource("rings").setData({ type: "FeatureCollection", features: features });
      features.forEach((f) => {
        const at = northmost(f.geometry);
        if (!at) return;
        const label = el("div", "ring-label", interpolate(gettext("%s min"), [f.properties.minutes]));
        label.dataset.minutes = String(f.properties.minutes);
        label.style.borderColor = f.properties.colour;
        ringMarkers.push(new maplibregl.Marker({ element: label, anchor: "bottom" }).setLngLat(at).addTo(map));
      });
      reach.replaceChildren();
      REACH.forEach((m) => {
        const r = byMinutes[m];
        const li = el("li", "reach-item");
        li.dataset.minutes = String(m);
        const swatch = el("span", "ring-swatch");
        swatch.style.borderColor = RING_COLOURS[m];
        li.append(swatch, el("span", "reach-minutes", interpolate(gettext("Within %(minutes)s min"), { minutes: m }, true)), " ");
        li.appendChild(el("strong", "reach-persons", r ? personsText(r.persons) : gettext("unknown")));
        if (r) li.append(" ", el("span", "note", "(" + methodText(r.eta_method) + ")"));
        if (r && r.districts && r.districts.length) {
          // How the figure falls among the districts, so an officer can judge it.
          const parts = r.districts.filter((d) => d.persons).map((d) => d.name + " " + num(d.persons));
          li.appendChild(el("span", "reach-districts", parts.join(" · ")));
        }
        reach.appendChild(li);
      });
      const any = Object.values(byMinutes).find((x) => x);
      const networkNote = document.getElementById("network-note");
      if (any && any.network && !any.network.loaded) {
        networkNote.textContent = gettext("No road network is loaded: the rings are estimated from straight-line distance.");
        networkNote.hidden = false;
      }
      const failed = answers.find((a) => a.status === "rejected");
      if (failed) addNote(interpolate(gettext("Some travel-time rings could not be drawn: %(error)s"), { error: failed.reason.message }, true));
      mapEl.dataset.rings = "loaded";
      const b = new maplibregl.LngLatBounds(here, here);
      features.forEach((f) => {
        const walk = (c) => (typeof c[0] === "number" ? b.extend(c) : c.forEach(walk));
        if (f.properties.minutes <= 15 && f.geometry) walk(f.geometry.coordinates);
      });
      if (features.length) map.fitBounds(b, { padding: 60, maxZoom: 14, duration: 0 });
    }

    async function loadKind(kind) {
      const box = layerBoxes[kind];
      const count = document.querySelector('[data-count-for="' + kind + '"]');
      box.dataset.state = "loading";
      count.textContent = "…";
      try {
        const u = new URL(box.dataset.url, window.location.origin);
        Object.entries({ format: "geojson", bbox: bbox, limit: 1000 }).forEach(([k, v]) => u.searchParams.set(k, String(v)));
        const fc = await api(u);
        const features = (fc.features || []).filter((f) => f.geometry);
        loaded[kind] = { type: "FeatureCollection", features: features };
        map.getSource("res-" + kind).setData({ type: "FeatureCollection",
          features: features.map((f, i) => ({ type: "Feature", id: i, geometry: f.geometry, properties: f.properties })) });
        // At most 1,000 are drawn around the incident: say so when there are more.
        const matched = Number(fc.numberMatched);
        count.textContent = matched > features.length ? interpolate(gettext("%(shown)s of %(total)s"),
          { shown: num(features.length), total: num(matched) }, true) : num(features.length);
        box.dataset.count = String(features.length);
        box.dataset.state = "loaded";
      } catch (err) {
        box.dataset.state = "error";
        count.textContent = "–";
        addNote(interpolate(gettext("Could not load %(layer)s: %(error)s"), { layer: KIND_TITLES[kind], error: err.message }, true));
      }
    }

    async function loadPopulation() {
      const box = layerBoxes.population;
      const count = document.querySelector('[data-count-for="population"]');
      box.dataset.state = "loading";
      try {
        const u = new URL(mapEl.dataset.populationUrl, window.location.origin);
        u.searchParams.set("cell_m", "500");
        u.searchParams.set("bbox", bbox);
        const fc = await api(u);
        loaded.population = fc;
        map.getSource("population").setData({ type: "FeatureCollection", features: fc.features || [] });
        if (fc.total === null || fc.total === undefined) {
          count.textContent = "";
          addNote(gettext("No population grid is loaded on this server: the heat map stays empty."));
        } else {
          const around = (fc.features || []).reduce((s, f) => s + (f.properties.persons || 0), 0);
          count.textContent = num(around);
          if (fc.synthetic) addNote(gettext("The population grid is synthetic (demo data), not a census."));
        }
        box.dataset.state = "loaded";
      } catch (err) {
        box.dataset.state = "error";
        addNote(interpolate(gettext("Could not load the population: %(error)s"), { error: err.message }, true));
      }
    }

    function popupFor(kind, f, lngLat) {
      const p = f.properties;
      const div = el("div", "popup-resource");
      div.appendChild(el("div", "popup-kind", KIND_TITLES[kind]));
      const a = el("a", "popup-title", p.name);
      a.href = mapEl.dataset.resourcePage.replace("KIND", encodeURIComponent(kind)) + encodeURIComponent(p.id) + "/";
      div.appendChild(a);
      const facts = [];
      if (p.status_label) facts.push([gettext("Status"), p.status_label]);
      if (p.availability_label) facts.push([gettext("Availability"), p.availability_label]);
      if (p.kind_label && kind !== "rescue-teams") facts.push([gettext("Kind"), p.kind_label]);
      if (p.specialty) facts.push([gettext("Specialty"), p.specialty]);
      if (p.capacity !== undefined && p.capacity !== null) facts.push([gettext("Capacity"), num(p.capacity)]);
      if (p.occupancy !== undefined && p.occupancy !== null) facts.push([gettext("Occupancy"), num(p.occupancy)]);
      if (p.beds !== undefined && p.beds !== null) facts.push([gettext("Beds"), num(p.beds)]);
      if (p.members !== undefined && p.members !== null) facts.push([gettext("Members"), num(p.members)]);
      const dl = el("dl", "popup-facts");
      facts.forEach(([k, v]) => dl.append(el("dt", null, k), el("dd", null, v)));
      div.appendChild(dl);
      new maplibregl.Popup({ maxWidth: "300px" }).setLngLat(lngLat).setDOMContent(div).addTo(map);
    }

    map.on("load", () => {
      map.addSource("population", { type: "geojson", data: EMPTY });
      map.addLayer({ id: "population-heat", type: "heatmap", source: "population", layout: { visibility: "none" },
        paint: {
          "heatmap-weight": ["interpolate", ["linear"], ["coalesce", ["get", "persons"], 0], 0, 0, 500, 0.3, 5000, 1],
          "heatmap-intensity": ["interpolate", ["linear"], ["zoom"], 7, 1, 13, 2, 16, 3],
          "heatmap-radius": ["interpolate", ["exponential", 2], ["zoom"], 7, 2, 10, 10, 13, 50, 15, 200],
          "heatmap-color": ["interpolate", ["linear"], ["heatmap-density"],
            0, "rgba(255,255,178,0)", 0.15, "rgba(254,217,118,0.55)", 0.35, "#feb24c", 0.55, "#fd8d3c", 0.75, "#f03b20", 1, "#bd0026"],
          "heatmap-opacity": 0.6,
        } });
      map.addSource("rings", { type: "geojson", data: EMPTY });
      map.addLayer({ id: "rings-fill", type: "fill", source: "rings", paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.05 } });
      map.addLayer({ id: "rings-line", type: "line", source: "rings",
        paint: { "line-color": ["get", "colour"], "line-width": 2, "line-dasharray": [3, 1.5] } });
      map.addSource("route", { type: "geojson", data: EMPTY });
      map.addLayer({ id: "route-casing", type: "line", source: "route", layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": "#fff", "line-width": 7 } });
      map.addLayer({ id: "route-line", type: "line", source: "route", filter: ["==", ["get", "eta_method"], "road"],
        layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": ROUTE_COLOUR, "line-width": 5 } });
      map.addLayer({ id: "route-estimated", type: "line", source: "route", filter: ["!=", ["get", "eta_method"], "road"],
        paint: { "line-color": ROUTE_COLOUR, "line-width": 5, "line-dasharray": [2, 1.5] } });
      // Teams dispatched to this incident: their routes and where they are.
      map.addSource("dispatched-routes", { type: "geojson", data: EMPTY });
      map.addLayer({ id: "dispatched-routes", type: "line", source: "dispatched-routes", layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": DISPATCHED_COLOUR, "line-width": 3, "line-opacity": 0.85, "line-dasharray": [1, 1.2] } });
      map.addSource("dispatched", { type: "geojson", data: EMPTY });
      map.addLayer({ id: "dispatched", type: "circle", source: "dispatched",
        paint: { "circle-color": DISPATCHED_COLOUR, "circle-radius": 8, "circle-stroke-color": "#fff", "circle-stroke-width": 2.5 } });
      map.addLayer({ id: "dispatched-label", type: "symbol", source: "dispatched",
        layout: { "text-field": ["get", "name"], "text-size": 12, "text-offset": [0, 1.3], "text-anchor": "top", "text-optional": true },
        paint: { "text-color": "#4c1d95", "text-halo-color": "#fff", "text-halo-width": 1.5 } });
      LAYER_KINDS.forEach((kind) => {
        if (!layerBoxes[kind]) return;
        map.addSource("res-" + kind, { type: "geojson", data: EMPTY });
        map.addLayer({ id: "res-" + kind, type: "circle", source: "res-" + kind,
          paint: Object.assign({ "circle-stroke-color": "#fff", "circle-stroke-width": 1.2, "circle-opacity": 0.9 }, PAINT[kind]) });
        map.on("click", "res-" + kind, (e) => {
          const f = e.features && e.features[0];
          if (f) popupFor(kind, loaded[kind].features[f.id], e.lngLat);
        });
        map.on("mouseenter", "res-" + kind, () => (map.getCanvas().style.cursor = "pointer"));
        map.on("mouseleave", "res-" + kind, () => (map.getCanvas().style.cursor = ""));
      });
      Object.entries(layerBoxes).forEach(([name, box]) => {
        const ids = name === "rings" ? ["rings-fill", "rings-line"] : name === "population" ? ["population-heat"] : ["res-" + name];
        const apply = () => {
          visibility(ids, box.checked);
          if (name === "rings") ringMarkers.forEach((m) => (m.getElement().hidden = !box.checked));
          if (box.checked && !box.dataset.state && name === "population") loadPopulation();
          if (box.checked && !box.dataset.state && LAYER_KINDS.includes(name)) loadKind(name);
        };
        box.addEventListener("change", apply);
        apply();
      });
      loadRings().catch((err) => addNote(err.message));
      drawDispatched();
      mapEl.dataset.loaded = "true";
    });

    // --- Status and transitions --------------------------------------------------------------------

    const statusEl = document.getElementById("incident-status");
    const transitions = document.getElementById("transitions");
    const transitionMessage = document.getElementById("transition-message");

    function renderStatus() {
      statusEl.textContent = LABELS.incident_status[state.status] || state.status;
      statusEl.dataset.status = state.status;
      statusEl.dataset.version = String(state.version);
      transitions.replaceChildren();
      if (!canChange) return;
      state.allowed.forEach((action) => {
        const b = el("button", "transition action-" + action, ACTION_LABELS[action] || action);
        b.type = "button";
        b.dataset.action = action;
        b.addEventListener("click", () => transition(action, b));
        transitions.appendChild(b);
      });
    }

    async function transition(action, button) {
      let reason = "";
      if (action === "reopen" || action === "cancel") {
        reason = window.prompt(action === "reopen" ? gettext("Why is the incident reopened?") : gettext("Why is it a false report? (optional)")) || "";
        if (action === "reopen" && !reason.trim()) return;
      }
      button.disabled = true;
      showMessage(transitionMessage, "");
      try {
        const i = await api(mapEl.dataset.transitionsUrl, { body: { action: action, reason: reason, version: state.version } });
        state.status = i.status;
        state.version = i.version;
        state.allowed = i.allowed_actions;
        renderStatus();
        loadNearby();
      } catch (err) {
        showMessage(transitionMessage, err.status === 409 ? interpolate(gettext("Not done: %(error)s"), { error: err.message }, true) : err.message);
        button.disabled = false;
      }
    }
    renderStatus();

    // --- The ranked nearby list, routes, dispatch -------------------------------------------------

    const nearbyStatus = document.getElementById("nearby-status");
    const nearbyResults = document.getElementById("nearby-results");
    const routeInfo = document.getElementById("route-info");
    const dispatchMessage = document.getElementById("dispatch-message");

    async function loadNearby() {
      const run = ++state.run;
      const kinds = NEARBY_KINDS.filter((k) => layerBoxes[k]);
      if (!kinds.length) {
        nearbyStatus.textContent = gettext("You may not see any resources.");
        return;
      }
      const u = new URL(mapEl.dataset.nearbyUrl, window.location.origin);
      // Enough of each kind that the type and room filters still leave the nearest that fit.
      Object.entries({ kinds: kinds.join(","), minutes: 60, limit: NEARBY_FETCH }).forEach(([k, v]) => u.searchParams.set(k, String(v)));
      mapEl.dataset.nearby = "loading";
      try {
        const answer = await api(u);
        if (run !== state.run) return;
        state.nearby = answer;
        window.citywatchNearby = answer;
        renderNearby(answer, kinds);
        mapEl.dataset.nearby = "loaded";
      } catch (err) {
        nearbyStatus.textContent = interpolate(gettext("Could not find what is near: %(error)s"), { error: err.message }, true);
        mapEl.dataset.nearby = "error";
      }
    }

    // --- The ranked list: what officers decide with; filters by team type and shelter room ----------
    const NEARBY_FETCH = 60;
    const NEARBY_SHOWN = 8;
    // Each group shows its first few until asked for all, so the nearest of every kind fit on one screen.
    const FOLDED = {};
    const FOLDED_DEFAULT = 3;
    const expanded = new Set();
    const PREFERRED = incident.preferred_team_types || [];
    const TEAM_TYPES = LABELS.team_type || {};
    const ACTIVE_DISPATCH = ["requested", "accepted", "en_route", "on_scene", "completed"];
    const nearbyFilters = { teamType: PREFERRED.length ? "preferred" : "", shelterRoom: true };
    const teamPlaces = new Map(); // team id → [lon, lat], from every answer that told where a team is
    (DATA.dispatched || []).forEach((d) => d.lon !== null && teamPlaces.set(d.team, [d.lon, d.lat]));

    const preferenceRank = (type) => {
      const i = PREFERRED.indexOf(type);
      return i < 0 ? PREFERRED.length : i;
    };
    const hasRoom = (item) => item.status === "open" && (item.details.free === null || item.details.free > 0);

    /** The items of one kind the filters let through, in the order shown. */
    function shownItems(kind, mine) {
      if (kind === "rescue-teams") {
        let teams = mine.slice();
        if (nearbyFilters.teamType === "preferred") teams = teams.filter((i) => PREFERRED.includes(i.details.type));
        else if (nearbyFilters.teamType) teams = teams.filter((i) => i.details.type === nearbyFilters.teamType);
        // Available teams of the most fitting type first, then by travel time.
        return teams.sort((a, b) => (a.status === "available" ? 0 : 1) - (b.status === "available" ? 0 : 1)
          || preferenceRank(a.details.type) - preferenceRank(b.details.type) || a.eta_s - b.eta_s);
      }
      if (kind === "shelters" && nearbyFilters.shelterRoom) return mine.filter(hasRoom);
      if (kind === "facilities" && incident.at_sea) {
        return mine.slice().sort((a, b) => (a.details.type === "maritime_sar" ? 0 : 1) - (b.details.type === "maritime_sar" ? 0 : 1) || a.eta_s - b.eta_s);
      }
      return mine;
    }

    function teamFilter(kindsSeen) {
      const label = el("label", "nearby-filter");
      label.append(gettext("Team type") + " ");
      const select = el("select");
      select.id = "team-type-filter";
      if (PREFERRED.length) {
        const o = el("option", null, interpolate(gettext("For this incident: %(types)s"),
          { types: PREFERRED.map((t) => TEAM_TYPES[t] || t).join(pgettext("list separator", ", ")) }, true));
        o.value = "preferred";
        select.appendChild(o);
      }
      const all = el("option", null, gettext("All types"));
      all.value = "";
      select.appendChild(all);
      Object.entries(TEAM_TYPES).filter(([v]) => kindsSeen.has(v)).forEach(([v, l]) => {
        const o = el("option", null, l);
        o.value = v;
        select.appendChild(o);
      });
      select.value = nearbyFilters.teamType;
      select.addEventListener("change", () => {
        nearbyFilters.teamType = select.value;
        renderNearby(state.nearby, state.nearbyKinds);
      });
      label.appendChild(select);
      return label;
    }

    function shelterFilter() {
      const label = el("label", "nearby-filter");
      const box = el("input");
      box.type = "checkbox";
      box.id = "shelter-room-filter";
      box.checked = nearbyFilters.shelterRoom;
      box.addEventListener("change", () => {
        nearbyFilters.shelterRoom = box.checked;
        renderNearby(state.nearby, state.nearbyKinds);
      });
      label.append(box, " " + gettext("Only open shelters with room"));
      return label;
    }

    /** The facts of an item's second line (what officers decide with). */
    function itemFacts(kind, item) {
      const d = item.details || {};
      const facts = [];
      if (kind === "rescue-teams") {
        if (d.type_label) facts.push(el("span", "nearby-type", d.type_label));
        if (d.members !== null && d.members !== undefined) facts.push(el("span", "nearby-members", interpolate(ngettext("%s person", "%s people", d.members), [num(d.members)])));
        if (item.status) facts.push(el("span", "nearby-status-" + item.status, teamStatusText(item.status)));
        if (d.leader) facts.push(el("span", "nearby-leader", interpolate(gettext("leader %(name)s"), { name: d.leader }, true)));
        if (d.leader_on_record === false) facts.push(el("span", "nearby-no-leader", gettext("no leader on record")));
      } else if (kind === "shelters") {
        facts.push(el("span", "nearby-status-" + item.status, (LABELS.shelter_status || {})[item.status] || item.status || ""));
        facts.push(el("span", "nearby-capacity", interpolate(gettext("capacity %(capacity)s · occupants %(occupancy)s · free %(free)s"),
          { capacity: num(d.capacity), occupancy: num(d.occupancy), free: num(d.free) }, true)));
      } else if (kind === "medical-facilities") {
        if (d.level_label) facts.push(el("span", "nearby-level", d.level_label));
        facts.push(el("span", "nearby-beds", interpolate(gettext("%(beds)s beds"), { beds: num(d.beds) }, true)));
        if (d.emergency_department) facts.push(el("span", "nearby-ed", gettext("emergency department")));
      } else if (kind === "facilities") {
        if (d.type_label) facts.push(el("span", "nearby-type", d.type_label));
      } else if (item.availability) {
        facts.push(el("span", "nearby-status-" + item.availability, (LABELS.availability || {})[item.availability] || item.availability));
      }
      const line = el("span", "nearby-facts");
      facts.forEach((f, i) => line.append(...(i ? [" · ", f] : [f])));
      return line;
    }

    function renderNearby(answer, kinds) {
      state.nearbyKinds = kinds;
      nearbyResults.replaceChildren();
      const estimated = !answer.network || answer.network.mode !== "road";
      (answer.items || []).filter((i) => i.kind === "rescue-teams").forEach((i) => teamPlaces.set(i.id, [i.lon, i.lat]));
      let shownTotal = 0;
      const mode = el("p", "nearby-mode " + (estimated ? "estimated" : "road"), estimated
        ? gettext("Travel times are estimated: no road network is loaded, so they come from straight-line distance, a detour factor and an average speed.")
        : (answer.network.synthetic ? gettext("Travel times by road (the synthetic demo network).") : gettext("Travel times by road.")));
      mode.dataset.mode = estimated ? "estimated" : "road";
      if (!estimated && answer.network.source) mode.title = answer.network.source;  // the file, for whoever asks
      const groups = [];
      // Maritime search and rescue first for an incident at sea.
      const order = incident.at_sea ? ["facilities"].concat(kinds.filter((k) => k !== "facilities")) : kinds;
      order.filter((k) => kinds.includes(k)).forEach((kind) => {
        const mine = (answer.items || []).filter((i) => i.kind === kind);
        const shown = shownItems(kind, mine).slice(0, NEARBY_SHOWN);
        shownTotal += shown.length;
        const section = el("section", "nearby-group");
        section.dataset.kind = kind;
        const h = el("h3");
        const dot = el("span", "legend-dot");
        dot.style.backgroundColor = KIND_COLOURS[kind];
        h.append(dot, document.createTextNode(" " + KIND_TITLES[kind] + " (" + num(shown.length) + ")"));
        section.appendChild(h);
        if (kind === "rescue-teams") section.appendChild(teamFilter(new Set(mine.map((i) => i.details.type))));
        if (kind === "shelters") section.appendChild(shelterFilter());
        if (!shown.length) {
          section.appendChild(el("p", "note", mine.length ? gettext("None within reach fits the filter.") : gettext("None within reach.")));
          groups.push(section);
          return;
        }
        const ol = el("ol", "nearby-list");
        const fold = expanded.has(kind) ? shown.length : FOLDED[kind] || FOLDED_DEFAULT;
        shown.forEach((item, index) => {
          const li = el("li", "nearby-item");
          li.hidden = index >= fold;
          li.dataset.kind = item.kind;
          li.dataset.id = String(item.id);
          li.dataset.etaMethod = item.eta_method;
          if (item.status) li.dataset.status = item.status;
          if (item.details && item.details.type) li.dataset.type = item.details.type;
          if (kind === "rescue-teams" && PREFERRED.includes(item.details.type)) li.classList.add("preferred");
          const pick = el("button", "nearby-pick");
          pick.type = "button";
          pick.title = item.direction === "to" ? gettext("Show the route from here to the incident") : gettext("Show the route from the incident to here");
          const meta = el("span", "nearby-meta");
          meta.append(el("span", "nearby-eta", minutesText(item.eta_s)), " · ", el("span", "nearby-distance", kmText(item.distance_m)),
            " · ", el("span", "nearby-method " + (item.eta_method === "road" ? "road" : "estimated"), methodText(item.eta_method)));
          pick.append(el("span", "nearby-name", item.name), meta, itemFacts(kind, item));
          const equipment = (item.details && item.details.equipment) || [];
          if (equipment.length) pick.append(el("span", "nearby-equipment", equipment.slice(0, 3).join("、")));
          pick.addEventListener("click", () => {
            showRoute(item, li);
            showCard(item);
          });
          li.appendChild(pick);
          if (kind === "rescue-teams" && canDispatch && item.status === "available" && !["closed", "cancelled"].includes(state.status)) {
            const b = el("button", "dispatch-button", gettext("Dispatch"));
            b.type = "button";
            b.addEventListener("click", () => dispatchTeam(item, b));
            li.appendChild(b);
          }
          ol.appendChild(li);
        });
        section.appendChild(ol);
        if (shown.length > (FOLDED[kind] || FOLDED_DEFAULT)) {
          const more = el("button", "nearby-more", expanded.has(kind) ? gettext("Show fewer")
            : interpolate(gettext("Show all %(n)s"), { n: num(shown.length) }, true));
          more.type = "button";
          more.setAttribute("aria-expanded", expanded.has(kind) ? "true" : "false");
          more.addEventListener("click", () => {
            if (expanded.has(kind)) expanded.delete(kind);
            else expanded.add(kind);
            renderNearby(state.nearby, state.nearbyKinds);
            const again = nearbyResults.querySelector('.nearby-group[data-kind="' + kind + '"] .nearby-more');
            if (again) again.focus();
          });
          section.appendChild(more);
        }
        groups.push(section);
      });
      nearbyStatus.textContent = interpolate(ngettext("%(n)s result within %(minutes)s minutes, fastest first. Click one for its route.",
        "%(n)s results within %(minutes)s minutes, fastest first. Click one for its route.", shownTotal), { n: num(shownTotal), minutes: num(60) }, true);
      nearbyResults.append(...groups, mode);
      const count = document.querySelector('[data-count-for-tab="resources"]');
      if (count) count.textContent = num(shownTotal);
    }

    /** A resource's card on the map: its name (a link to its page) and what the ranked list knows. */
    let card = null;
    function showCard(item) {
      if (card) card.remove();
      const div = el("div", "popup-resource");
      div.appendChild(el("div", "popup-kind", KIND_TITLES[item.kind]));
      const a = el("a", "popup-title", item.name);
      a.href = mapEl.dataset.resourcePage.replace("KIND", encodeURIComponent(item.kind)) + encodeURIComponent(item.id) + "/";
      div.appendChild(a);
      div.appendChild(el("div", "popup-meta", minutesText(item.eta_s) + " · " + kmText(item.distance_m)));
      div.appendChild(itemFacts(item.kind, item));
      const equipment = (item.details && item.details.equipment) || [];
      if (equipment.length) div.appendChild(el("div", "popup-equipment", gettext("Equipment") + pgettext("label separator", ": ") + equipment.join("、")));
      if (item.details && item.details.phone) {
        const tel = el("a", "popup-phone", item.details.phone);
        tel.href = "tel:" + item.details.phone;
        div.append(el("span", null, gettext("Phone") + pgettext("label separator", ": ")), tel);
      }
      card = new maplibregl.Popup({ maxWidth: "320px", className: "resource-card" }).setLngLat([item.lon, item.lat]).setDOMContent(div).addTo(map);
    }
    // Escape closes the card (and nothing else is open to close).
    document.addEventListener("keydown", (e) => {
      if (e.key !== "Escape" || !card || document.querySelector("dialog[open]")) return;
      card.remove();
      card = null;
    });

    // --- Dispatched teams and their routes on the map ------------------------------------------------
    const dispatched = new Map(); // team id → {name, status}
    (DATA.dispatched || []).forEach((d) => ACTIVE_DISPATCH.includes(d.status) && dispatched.set(d.team, { name: d.name, status: d.status }));
    const dispatchedRoutes = new Map(); // team id → route Feature

    async function drawDispatched() {
      if (!map.getSource("dispatched")) return;
      const points = [];
      const wanted = [];
      dispatched.forEach((d, team) => {
        const at = teamPlaces.get(team);
        if (!at) return;
        points.push({ type: "Feature", geometry: { type: "Point", coordinates: at }, properties: { team: team, name: d.name, status: d.status } });
        if (!dispatchedRoutes.has(team)) wanted.push([team, at]);
      });
      map.getSource("dispatched").setData({ type: "FeatureCollection", features: points });
      await Promise.allSettled(wanted.map(async ([team, at]) => {
        const u = new URL(mapEl.dataset.routeUrl, window.location.origin);
        u.searchParams.set("from", at.join(","));
        u.searchParams.set("to", here.join(","));
        const route = await api(u);
        dispatchedRoutes.set(team, route);
      }));
      const routes = [];
      dispatchedRoutes.forEach((route, team) => dispatched.has(team) && route.geometry && routes.push({ type: "Feature", geometry: route.geometry, properties: { team: team } }));
      map.getSource("dispatched-routes").setData({ type: "FeatureCollection", features: routes });
      mapEl.dataset.dispatched = String(points.length);
    }

    function noteDispatch(d) {
      if (!d || !d.team || d.team.id === undefined) return;
      if (ACTIVE_DISPATCH.includes(d.status)) dispatched.set(d.team.id, { name: d.team.name, status: d.status });
      else dispatched.delete(d.team.id);
      drawDispatched();
    }

    const teamStatusText = (s) => ({ available: gettext("Available"), deployed: gettext("Deployed"), unavailable: gettext("Unavailable") })[s] || s;

    async function showRoute(item, li) {
      if (li) li.scrollIntoView({ block: "nearest" });
      const there = [item.lon, item.lat];
      // Teams and depots travel to the incident; people go from it to shelters and hospitals.
      const [from, to] = item.direction === "to" ? [there, here] : [here, there];
      const u = new URL(mapEl.dataset.routeUrl, window.location.origin);
      u.searchParams.set("from", from.join(","));
      u.searchParams.set("to", to.join(","));
      nearbyResults.querySelectorAll(".nearby-item.selected").forEach((x) => x.classList.remove("selected"));
      li.classList.add("selected");
      routeInfo.hidden = false;
      routeInfo.textContent = gettext("Finding the route…");
      mapEl.dataset.route = "loading";
      try {
        const route = await api(u);
        route.properties = route.properties || {};
        loaded.route = route;
        map.getSource("route").setData(route);
        const p = route.properties;
        routeInfo.textContent = interpolate(gettext("Route: %(name)s — %(eta)s, %(distance)s (%(method)s)"), {
          name: item.name, eta: minutesText(p.eta_s), distance: kmText(p.distance_m), method: methodText(p.eta_method || item.eta_method) }, true);
        routeInfo.dataset.direction = item.direction;
        const b = new maplibregl.LngLatBounds(here, here);
        const walk = (c) => (typeof c[0] === "number" ? b.extend(c) : c.forEach(walk));
        if (route.geometry) walk(route.geometry.coordinates);
        const view = map.getBounds();
        if (!(view.contains(b.getSouthWest()) && view.contains(b.getNorthEast()))) map.fitBounds(b.extend(view.getSouthWest()).extend(view.getNorthEast()), { padding: 40, duration: 0 });
        mapEl.dataset.route = "loaded";
      } catch (err) {
        routeInfo.textContent = interpolate(gettext("Could not find a route: %(error)s"), { error: err.message }, true);
        mapEl.dataset.route = "error";
      }
    }

    async function dispatchTeam(item, button) {
      button.disabled = true;
      showMessage(dispatchMessage, "");
      try {
        const assignee = document.getElementById("dispatch-assignee");
        const body = { team: item.id };
        if (assignee && assignee.value) body.assigned_to = assignee.value;
        const d = await api(mapEl.dataset.dispatchesUrl, { body: body });
        teamPlaces.set(item.id, [item.lon, item.lat]);
        upsertDispatch(d);
        // Every dispatch is confirmed with its number and who received it (orders.js: the order control).
        window.CityWatchOrders.confirm(d);
        loadNearby();
        if (layerBoxes["rescue-teams"] && layerBoxes["rescue-teams"].checked) loadKind("rescue-teams");
      } catch (err) {
        showMessage(dispatchMessage, interpolate(gettext("%(team)s was not dispatched: %(error)s"), { team: item.name, error: err.message }, true));
        button.disabled = false;
      }
    }

    // --- Dispatches and the log (also updated live) -------------------------------------------------

    const dispatchList = document.getElementById("dispatch-list");
    const logList = document.getElementById("log-list");

    // Who has each open order, in the panel's head (always in view): number, team, recipient, status.
    const orderSummary = document.getElementById("order-summary");
    const openOrders = new Map();
    const SUMMARY_SHOWN = 3;
    function renderOrderSummary() {
      if (!orderSummary) return;
      const rows = Array.from(openOrders.values()).sort((a, b) => b.id - a.id);
      orderSummary.replaceChildren();
      rows.slice(0, SUMMARY_SHOWN).forEach((d) => {
        const li = el("li", "order-line");
        li.dataset.id = String(d.id);
        li.dataset.status = d.status;
        if (d.number) li.append(el("span", "dispatch-number", d.number), " ");
        li.append(el("span", "order-team", d.team.name), " → ",
          el("strong", "order-recipient", d.assigned_to_name || d.assigned_to || gettext("nobody")), " ",
          el("span", "dispatch-status badge status-" + d.status, LABELS.dispatch_status[d.status] || d.status));
        orderSummary.appendChild(li);
      });
      if (rows.length > SUMMARY_SHOWN) {
        orderSummary.appendChild(el("li", "note", interpolate(gettext("and %(n)s more on the dispatch tab"), { n: num(rows.length - SUMMARY_SHOWN) }, true)));
      }
      orderSummary.hidden = !rows.length;
      mapEl.dataset.openOrders = String(rows.length);
    }

    function upsertDispatch(d) {
      noteDispatch(d);
      if (ACTIVE_DISPATCH.includes(d.status)) openOrders.set(d.id, Object.assign({}, openOrders.get(d.id), d));
      else openOrders.delete(d.id);
      renderOrderSummary();
      // The confirmation of an order no longer open (recalled, declined) would mislead: it goes.
      const confirmation = document.getElementById("dispatch-confirmation");
      if (confirmation && confirmation.dataset.id === String(d.id) && !ACTIVE_DISPATCH.includes(d.status)) confirmation.hidden = true;
      let li = dispatchList.querySelector('li.dispatch[data-id="' + d.id + '"]');
      if (!li) {
        li = el("li", "dispatch new");
        li.dataset.id = String(d.id);
        li.append(el("span", "dispatch-team", d.team.name), " ", el("span", "dispatch-status badge"));
        if (d.assigned_to) li.append(" ", el("span", "note", d.assigned_to_name || d.assigned_to));
        const empty = dispatchList.querySelector("li.empty");
        if (empty) empty.remove();
        dispatchList.appendChild(li);
      }
      li.dataset.status = d.status;
      const badge = li.querySelector(".dispatch-status");
      badge.className = "dispatch-status badge status-" + d.status;
      badge.textContent = LABELS.dispatch_status[d.status] || d.status;
      if (canChange && (LABELS.dispatch_actions[d.status] || []).includes("release")) {
        if (!li.querySelector(".release")) {
          const b = el("button", "release", ACTION_LABELS.release);
          b.type = "button";
          b.addEventListener("click", async () => {
            b.disabled = true;
            try {
              upsertDispatch(await api(mapEl.dataset.dispatchesUrl + "/" + encodeURIComponent(li.dataset.id) + "/transitions", { body: { action: "release" } }));
              loadNearby();
            } catch (err) {
              showMessage(dispatchMessage, err.message);
              b.disabled = false;
            }
          });
          li.append(" ", b);
        }
      } else {
        const b = li.querySelector(".release");
        if (b) b.remove();
      }
      window.CityWatchOrders.decorate(li, d, canChange, (fresh) => upsertDispatch(fresh), () => loadNearby());
      // The team's closing note once it reported the task complete (the command then releases it).
      let closing = li.querySelector(".dispatch-completion");
      if (d.status === "completed" && d.completion_note) {
        if (!closing) {
          closing = el("div", "dispatch-completion");
          li.append(closing);
        }
        closing.textContent = gettext("Task complete") + pgettext("label separator", ": ") + d.completion_note;
      } else if (closing) {
        closing.remove();
      }
    }

    /** The latest field report of an order, on its line in the dispatch list (the log has them all). */
    function noteFieldReport(dispatchId, log) {
      const li = dispatchList.querySelector('li.dispatch[data-id="' + dispatchId + '"]');
      if (!li) return;
      let line = li.querySelector(".dispatch-report");
      if (!line) {
        line = el("div", "dispatch-report");
        li.append(line);
      }
      const data = log.data || {};
      const parts = [data.report || log.text];
      if (typeof data.rescued === "number") parts.push(gettext("rescued") + " " + num(data.rescued));
      if (typeof data.evacuated === "number") parts.push(gettext("evacuated") + " " + num(data.evacuated));
      line.textContent = when(log.time) + " " + parts.join(" · ");
      li.classList.remove("new");
      void li.offsetWidth;
      li.classList.add("new");
    }

    function addLog(entry) {
      if (logList.querySelector('li[data-id="' + entry.id + '"]')) return;
      const li = el("li", "new");
      li.dataset.id = String(entry.id);
      li.dataset.kind = entry.kind;
      if (entry.data && entry.data.action) li.dataset.action = String(entry.data.action);
      const t = el("time", null, when(entry.time, { seconds: true }));
      t.dateTime = entry.time;
      li.append(t, " ", el("span", "log-kind", LABELS.log_kind[entry.kind] || entry.kind), " ", el("span", "log-text", entry.text));
      if (entry.author) li.append(" ", el("span", "log-author", "— " + (entry.author_name || entry.author)));
      logList.prepend(li);
    }

    // Only the panel an entry concerns is reloaded (by the entry's data keys), once per burst of entries.
    const pending = new Set();
    let refreshPanels = null;
    const refreshPanelsSoon = (log) => {
      const data = log.data || {};
      if (log.kind === "supply" || "supply_request" in data) pending.add("supplies");
      if ("command_post" in data) pending.add("post");
      if ("sitrep" in data) pending.add("sitreps");
      if (!pending.size) return;
      clearTimeout(refreshPanels);
      refreshPanels = setTimeout(() => {
        if (pending.has("supplies")) ops.reloadSupplies();
        if (pending.has("post")) ops.reloadPost();
        if (pending.has("sitreps")) ops.reloadSitreps();
        pending.clear();
      }, 300);
    };
    let refresh = null;
    const refreshNearbySoon = () => {
      clearTimeout(refresh);
      refresh = setTimeout(loadNearby, 400);
    };

    // --- The header: an edit, by this officer or any other, redraws it in place --------------------

    const header = {
      title: document.getElementById("incident-title"),
      type: document.getElementById("incident-type"),
      severity: document.getElementById("incident-severity"),
      place: document.querySelector(".incident-place"),
      facts: document.getElementById("incident-facts"),
    };
    let editor = null;
    let shownTitle = header.title.firstChild.nodeValue.trim();

    function factsOf(inc) {
      const out = [];
      if (inc.people_trapped) {
        out.push(el("span", "fact trapped", interpolate(ngettext("%(n)s person trapped", "%(n)s people trapped", inc.people_trapped), { n: num(inc.people_trapped) }, true)));
      }
      if (inc.deaths || inc.serious_injuries || inc.injuries || inc.missing) {
        out.push(el("span", "fact casualties", interpolate(gettext("deaths %(d)s, serious injuries %(s)s, injuries %(i)s, missing %(m)s"),
          { d: num(inc.deaths), s: num(inc.serious_injuries), i: num(inc.injuries), m: num(inc.missing) }, true)));
      }
      if (inc.caller_name || inc.caller_phone) {
        const caller = el("span", "fact caller", gettext("Caller") + pgettext("label separator", ": ") + inc.caller_name + " ");
        if (inc.caller_phone) {
          const a = el("a", null, inc.caller_phone);
          a.href = "tel:" + inc.caller_phone;
          caller.appendChild(a);
        }
        out.push(caller);
      }
      const times = (inc.occurred_at ? gettext("Occurred") + " " + when(inc.occurred_at) + " · " : "") + gettext("Reported") + " " + when(inc.reported_at);
      out.push(el("span", "fact times", times));
      return out;
    }

    /** The header, the form and — when the place or the type changed — the rings, layers and ranked list. */
    function showIncident(inc) {
      if (inc.version < state.version) return;
      state.version = inc.version;
      statusEl.dataset.version = String(inc.version);
      header.title.firstChild.nodeValue = inc.title;
      pin.title = inc.title;
      document.title = document.title.replace(shownTitle, inc.title);
      shownTitle = inc.title;
      header.type.textContent = inc.type_label;
      header.severity.textContent = inc.severity_label;
      header.severity.className = "severity severity-" + inc.severity;
      header.place.textContent = inc.place.join(" · ");
      const meta = header.place.parentNode;
      meta.querySelectorAll(".badge").forEach((b) => b.remove());
      if (inc.at_sea || inc.outside_city) meta.append(" ", el("span", "badge", inc.at_sea ? gettext("at sea") : gettext("outside the city")));
      const facts = [];
      factsOf(inc).forEach((f) => facts.push(f, " "));
      header.facts.replaceChildren(...facts);
      let description = document.getElementById("incident-description");
      if (inc.description && !description) {
        description = el("p", "incident-description");
        description.id = "incident-description";
        header.facts.after(description);
      }
      if (description) {
        description.textContent = inc.description;
        description.hidden = !inc.description;
      }
      if (editor) editor.refresh(inc);
      const moved = inc.lon !== here[0] || inc.lat !== here[1];
      const retyped = inc.type !== incident.type || inc.at_sea !== incident.at_sea;
      Object.assign(incident, { lon: inc.lon, lat: inc.lat, type: inc.type, at_sea: inc.at_sea });
      if (retyped) {
        PREFERRED.splice(0, PREFERRED.length, ...(inc.preferred_team_types || []));
        nearbyFilters.teamType = PREFERRED.length ? "preferred" : "";
      }
      if (moved) {
        here[0] = inc.lon;
        here[1] = inc.lat;
        pinMarker.setLngLat(here);
        bbox = around();
        Object.entries(layerBoxes).forEach(([name, box]) => {
          if (!box.dataset.state) return;
          if (name === "population") loadPopulation();
          else if (LAYER_KINDS.includes(name)) loadKind(name);
        });
        if (map.getSource("rings")) loadRings().catch((err) => addNote(err.message));
      }
      if (moved || retyped) loadNearby();
      mapEl.dataset.incidentVersion = String(inc.version);
    }

    let reread = null;
    const rereadSoon = () => {
      // A change of severity and of other fields come as two entries: read the incident once.
      clearTimeout(reread);
      reread = setTimeout(() => api(mapEl.dataset.incidentUrl).then(showIncident).catch((err) => addNote(err.message)), 250);
    };

    subscribe(mapEl.dataset.eventsUrl, mapEl.dataset.lastEvent, (ev) => {
      if (ev.incident !== incident.id) return;
      document.dispatchEvent(new CustomEvent("citywatch:incident-event", { detail: ev }));
      if (ev.log) addLog(ev.log);
      if (typeof ev.version === "number" && ev.version > state.version) state.version = ev.version;
      if (ev.type === "status") {
        state.status = ev.status;
        state.allowed = ev.allowed_actions || [];
        renderStatus();
        refreshNearbySoon();
      } else if (ev.type === "dispatch" && ev.dispatch) {
        upsertDispatch(ev.dispatch);
        if (ev.log && ev.log.data && ev.log.data.action === "field_report") noteFieldReport(ev.dispatch.id, ev.log);
        refreshNearbySoon();
      } else if (ev.type === "edit") {
        rereadSoon();
      } else if (ev.log && ops) {
        // Supplies, the command post and sitreps write the log too: bring their panels up to date.
        refreshPanelsSoon(ev.log);
      }
    });
    // The dispatches as the API answers them (number, recipient, unanswered, the steps one may take),
    // over the list the server rendered.
    api(mapEl.dataset.dispatchesUrl).then((rows) => rows.forEach(upsertDispatch)).catch(() => {});
    ops = operations(map, mapEl, incident, canChange);
    noteForm(mapEl, canChange);
    panelTabs();
    editor = editForm(mapEl, state, showIncident);
    mapEl.dataset.incidentVersion = String(state.version);
    mapSearch(map);
    loadNearby();
  }

  // --- The panel's tabs (资源, 调派, 物资, 指挥部, 任务, 报告, 日志), each with its count --------------

  function panelTabs() {
    // On a phone the layer switches fold away: the ranked list comes first.
    const layersBox = document.getElementById("layers-box");
    if (layersBox && window.matchMedia("(max-width: 700px)").matches) layersBox.open = false;
    const tabs = Array.from(document.querySelectorAll("#panel-tabs [role=tab]"));
    const panels = Array.from(document.querySelectorAll("#panel-body [role=tabpanel]"));
    if (!tabs.length) return;
    function select(tab, focus) {
      tabs.forEach((t) => {
        const on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
      });
      panels.forEach((p) => (p.hidden = p.id !== tab.getAttribute("aria-controls")));
      document.getElementById("onemap-panel").dataset.tab = tab.dataset.tab;
      if (focus) tab.focus();
    }
    tabs.forEach((tab, i) => {
      tab.addEventListener("click", () => select(tab));
      tab.addEventListener("keydown", (e) => {
        const next = e.key === "ArrowRight" ? tabs[(i + 1) % tabs.length] : e.key === "ArrowLeft" ? tabs[(i - 1 + tabs.length) % tabs.length] : null;
        if (next) {
          e.preventDefault();
          select(next, true);
        }
      });
    });
    // Counts: what each panel lists (the resources tab counts the ranked list, set when it is drawn).
    const COUNTED = {
      dispatch: "#dispatch-list > li.dispatch, #summons-list > li:not(.empty):not(.note)",
      supplies: "#supply-list > li:not(.empty):not(.note)",
      post: "#participant-list > li:not(.empty):not(.note)",
      tasks: "#task-list > li:not(.empty):not(.note)",
      reports: "#sitrep-list > li:not(.empty):not(.note)",
      log: "#log-list > li",
    };
    let pending = false;
    function recount() {
      pending = false;
      Object.entries(COUNTED).forEach(([tab, selector]) => {
        const target = document.querySelector('[data-count-for-tab="' + tab + '"]');
        if (target) target.textContent = num(document.querySelectorAll(selector).length);
      });
    }
    new MutationObserver(() => {
      if (!pending) {
        pending = true;
        requestAnimationFrame(recount);
      }
    }).observe(document.getElementById("panel-body"), { childList: true, subtree: true });
    recount();
  }

  // --- Editing the incident (title, type, severity, location, casualties, caller, time) -----------

  function editForm(mapEl, state, onSaved) {
    const dialog = document.getElementById("incident-edit");
    const open = document.getElementById("edit-incident");
    if (!dialog || !open) return null;
    const form = document.getElementById("incident-edit-form");
    const message = document.getElementById("edit-message");
    const base = mapEl.dataset.incidentUrl.replace(/\/$/, "");
    const initial = {};
    Array.from(form.elements).forEach((f) => f.name && (initial[f.name] = f.value));
    const COUNT_FIELDS = ["people_trapped", "deaths", "serious_injuries", "injuries", "missing"];
    open.addEventListener("click", () => {
      showMessage(message, "");
      dialog.showModal();
    });
    document.getElementById("edit-cancel").addEventListener("click", () => dialog.close());
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = {};
      Array.from(form.elements).forEach((f) => {
        if (!f.name || f.value === initial[f.name]) return;
        if (f.name === "lon" || f.name === "lat") return;
        body[f.name] = COUNT_FIELDS.includes(f.name) ? (f.value === "" ? 0 : Number(f.value)) : f.value;
      });
      const lon = form.elements.lon.value.trim();
      const lat = form.elements.lat.value.trim();
      if (lon !== initial.lon || lat !== initial.lat) {
        // A location in the sea or outside the city is changed only once confirmed.
        try {
          const u = new URL(mapEl.dataset.locateUrl, window.location.origin);
          u.searchParams.set("lon", lon);
          u.searchParams.set("lat", lat);
          const where = await api(u);
          if (where.outside_city) {
            let question = where.at_sea ? gettext("The new location is in the sea. Is that right?") : gettext("The new location is outside the city's districts. Is that right?");
            if (where.maritime && where.maritime.length) {
              question += "\n" + gettext("Nearest maritime search-and-rescue sub-centres:") + " " + where.maritime.map((m) => m.name + " " + kmText(m.distance_m)).join(pgettext("list separator", ", "));
            }
            if (!window.confirm(question)) return;
          }
        } catch (err) {
          showMessage(message, err.message);
          return;
        }
        body.lon = lon;
        body.lat = lat;
      }
      if (body.occurred_at === "") delete body.occurred_at;
      if (!Object.keys(body).length) {
        dialog.close();
        return;
      }
      body.version = state.version;
      const save = document.getElementById("edit-save");
      save.disabled = true;
      try {
        const saved = await api(base, { method: "PATCH", body: body });
        dialog.close();
        // The header follows at once; the rings and the ranked list too when the place or the type changed.
        onSaved(saved);
      } catch (err) {
        showMessage(message, err.status === 409 || err.status === 422 ? interpolate(gettext("Not saved: %(error)s"), { error: err.message }, true) : err.message);
      } finally {
        save.disabled = false;
      }
    });

    /** The form's values as the incident now is (a change saved here or by anyone else). A field this
        officer is changing in the open form keeps what they typed; the others follow. */
    function valuesOf(inc) {
      const local = inc.occurred_at ? when(inc.occurred_at, { year: true }).replace(" ", "T") : "";
      return { title: inc.title, type: inc.type, severity: inc.severity, lon: inc.lon.toFixed(6), lat: inc.lat.toFixed(6),
        occurred_at: local, people_trapped: String(inc.people_trapped), deaths: String(inc.deaths),
        serious_injuries: String(inc.serious_injuries), injuries: String(inc.injuries), missing: String(inc.missing),
        caller_name: inc.caller_name, caller_phone: inc.caller_phone, description: inc.description };
    }
    return {
      refresh(inc) {
        const now = valuesOf(inc);
        Array.from(form.elements).forEach((f) => {
          if (!f.name || !(f.name in now)) return;
          if (!dialog.open || f.value === initial[f.name]) f.value = now[f.name];
          initial[f.name] = now[f.name];
        });
      },
    };
  }

  // --- Place search on the one-map: fly to a community, street or named place -----------------------

  function mapSearch(map) {
    const input = document.getElementById("map-place-q");
    const list = document.getElementById("map-place-results");
    if (!input || !list || !window.CityWatchPlaceSearch) return;
    let found = null;
    window.CityWatchPlaceSearch.attach(input, list, (p) => {
      window.CityWatchPlaceSearch.show(map, p);
      if (found) found.remove();
      const tag = el("div", "found-place", p.name);
      found = new maplibregl.Marker({ element: tag, anchor: "bottom" }).setLngLat([p.lon, p.lat]).addTo(map);
    });
  }

  // --- A note in the incident log (it comes back over the event stream like every other entry) ----

  function noteForm(mapEl, canChange) {
    const form = document.getElementById("note-form");
    if (!form || !canChange) return;
    const input = document.getElementById("note-text");
    const message = document.getElementById("note-message");
    const base = mapEl.dataset.incidentUrl.replace(/\/$/, "");
    form.hidden = false;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      message.hidden = true;
      try {
        await api(base + "/log", { body: { text: text } });
        input.value = "";
      } catch (err) {
        message.textContent = err.message;
        message.hidden = false;
      }
    });
  }

  // --- The one-map's operations panel: supplies, the forward command post, situation reports ------

  function operations(map, mapEl, incident, canChange) {
    const base = mapEl.dataset.incidentUrl.replace(/\/$/, "");
    const $ = (id) => document.getElementById(id);
    const errorText = (err) => (err.status === 409 || err.status === 422 ? interpolate(gettext("Not done: %(error)s"), { error: err.message }, true) : err.message);
    const qty = (v) => Number(v).toLocaleString(lang, { maximumFractionDigits: 3 });
    const button = (label, cls, onClick) => {
      const b = el("button", cls, label);
      b.type = "button";
      b.addEventListener("click", () => onClick(b));
      return b;
    };

    // Supplies.
    const supplyForm = $("supply-form");
    const depotSelect = $("supply-depot");
    const itemSelect = $("supply-item");
    const supplyList = $("supply-list");
    const supplyMessage = $("supply-message");
    const SUPPLY_ACTION_LABELS = { approve: gettext("Approve"), ship: gettext("Ship"), receive: gettext("Receive"), reject: gettext("Reject"), cancel: gettext("Cancel") };
    const supplyShown = ["approve", "ship", "receive", "reject", "cancel"];
    const supplyAsk = { reject: gettext("Reject this supply request?"), cancel: gettext("Cancel this supply request?") };

    /** The depots that can still give the chosen item, nearest first, with what each can give. */
    let sourcesRun = 0;
    async function loadSources() {
      const code = itemSelect.value;
      const run = ++sourcesRun;
      const chosen = depotSelect.value;
      depotSelect.replaceChildren();
      depotSelect.dataset.state = "loading";
      if (!code) return;
      try {
        const u = new URL(base + "/supply-sources", window.location.origin);
        u.searchParams.set("item", code);
        u.searchParams.set("limit", "50");
        // With a quantity typed, only the depots that can give all of it (the nearest of those first).
        const wanted = Number($("supply-quantity").value);
        if (wanted > 0) u.searchParams.set("quantity", String(wanted));
        const answer = await api(u);
        if (run !== sourcesRun) return;
        const unit = answer.item.unit || "";
        (answer.items || []).forEach((d) => {
          const o = el("option", null, interpolate(gettext("%(depot)s — can give %(quantity)s %(unit)s · %(eta)s"),
            { depot: d.name, quantity: qty(d.available), unit: unit, eta: minutesText(d.eta_s) }, true));
          o.value = String(d.id);
          o.dataset.available = d.available;
          depotSelect.appendChild(o);
        });
        if (!(answer.items || []).length) {
          const o = el("option", null, Number($("supply-quantity").value) > 0
            ? gettext("No depot in your jurisdiction can give that much of this item")
            : gettext("No depot in your jurisdiction holds this item"));
          o.value = "";
          depotSelect.appendChild(o);
        }
        if (chosen && (answer.items || []).some((d) => String(d.id) === chosen)) depotSelect.value = chosen;
        depotSelect.dataset.state = "loaded";
      } catch (err) {
        showMessage(supplyMessage, err.message);
      }
    }

    async function loadItems() {
      try {
        const answer = await api(mapEl.dataset.supplyItemsUrl);
        itemSelect.replaceChildren();
        (answer.items || []).forEach((item) => {
          const o = el("option", null, item.name + " (" + (item.unit || "") + ")");
          o.value = item.code;
          itemSelect.appendChild(o);
        });
        itemSelect.dataset.state = "loaded";
        itemSelect.addEventListener("change", loadSources);
        let typing = null;
        $("supply-quantity").addEventListener("input", () => {
          clearTimeout(typing);
          typing = setTimeout(loadSources, 400);
        });
        loadSources();
      } catch (err) {
        showMessage(supplyMessage, err.message);
      }
    }

    function renderSupply(r) {
      let li = supplyList.querySelector('li[data-id="' + r.id + '"]');
      if (!li) {
        li = el("li", "supply-request");
        li.dataset.id = String(r.id);
        supplyList.prepend(li);
      }
      li.dataset.status = r.status;
      li.replaceChildren(
        el("span", "supply-what", interpolate(gettext("%(quantity)s %(unit)s %(item)s from %(depot)s"),
          { quantity: qty(r.quantity_requested), unit: r.unit, item: r.item_name, depot: r.depot.name }, true)),
        " ", el("span", "supply-status badge status-" + r.status, (LABELS.supply_status || {})[r.status] || r.status));
      if (Number(r.quantity_approved) > 0) li.append(" ", el("span", "note supply-approved", interpolate(gettext("approved %s"), [qty(r.quantity_approved)])));
      if (Number(r.quantity_shipped) > 0) li.append(" ", el("span", "note supply-shipped", interpolate(gettext("shipped %s"), [qty(r.quantity_shipped)])));
      if (!canChange) return;
      const remaining = Number(r.quantity_approved) - Number(r.quantity_shipped);
      ((LABELS.supply_actions || {})[r.status] || []).filter((a) => supplyShown.includes(a)).forEach((action) => {
        if (action === "ship" && remaining <= 0) return;
        li.append(" ", button(SUPPLY_ACTION_LABELS[action] || action, "supply-action action-" + action, async (b) => {
          if (supplyAsk[action] && !window.confirm(supplyAsk[action])) return;
          b.disabled = true;
          showMessage(supplyMessage, "");
          const body = { action: action };
          if (action === "ship") body.quantity = String(remaining);
          try {
            renderSupply(await api(base + "/supply-requests/" + encodeURIComponent(r.id) + "/transitions", { body: body }));
            loadSources();
          } catch (err) {
            showMessage(supplyMessage, errorText(err));
            b.disabled = false;
          }
        }));
      });
    }

    async function loadSupplies() {
      try {
        const items = await api(base + "/supply-requests");
        supplyList.replaceChildren();
        if (!items.length) supplyList.appendChild(el("li", "note empty", gettext("No supplies requested yet.")));
        items.slice().sort((a, b) => a.id - b.id).forEach(renderSupply);
        supplyList.dataset.state = "loaded";
        if (canChange && itemSelect.dataset.state === "loaded") loadSources();
      } catch (err) {
        showMessage(supplyMessage, err.message);
      }
    }

    if (canChange) {
      supplyForm.hidden = false;
      supplyForm.addEventListener("submit", async (e) => {
        e.preventDefault();
        showMessage(supplyMessage, "");
        const submit = supplyForm.querySelector("button[type=submit]");
        submit.disabled = true;
        try {
          const r = await api(base + "/supply-requests", { body: { depot: Number(depotSelect.value), item: itemSelect.value, quantity: $("supply-quantity").value } });
          const empty = supplyList.querySelector("li.empty");
          if (empty) empty.remove();
          renderSupply(r);
          $("supply-quantity").value = "";
          loadSources();
        } catch (err) {
          showMessage(supplyMessage, errorText(err));
        }
        submit.disabled = false;
      });
      loadItems();
    }
    loadSupplies();

    // The forward command post.
    const postInfo = $("post-info");
    const postForm = $("post-form");
    const postMessage = $("post-message");
    let postMarker = null;

    function renderPost(p) {
      postInfo.replaceChildren();
      if (postMarker) {
        postMarker.remove();
        postMarker = null;
      }
      postInfo.dataset.state = p ? (p.active ? "active" : "closed") : "none";
      postForm.hidden = !canChange || Boolean(p && p.active);
      if (!p) {
        postInfo.appendChild(el("p", "note", gettext("No command post yet.")));
        return;
      }
      const established = when(p.established_at, { year: true });
      postInfo.appendChild(el("p", "post-established", interpolate(gettext("Established %(time)s by %(leader)s"),
        { time: established, leader: p.leader_name || p.leader || "–" }, true)));
      if (p.minutes_from_verification !== null && p.minutes_from_verification !== undefined) {
        const t = el("p", "post-target " + (p.within_target ? "within" : "late"), interpolate(
          p.within_target ? gettext("%(minutes)s min after verification — within the %(target)s-minute target")
            : gettext("%(minutes)s min after verification — over the %(target)s-minute target"),
          { minutes: num(p.minutes_from_verification), target: num(p.target_minutes) }, true));
        t.dataset.minutes = String(p.minutes_from_verification);
        t.dataset.within = p.within_target ? "1" : "0";
        postInfo.appendChild(t);
      }
      if (p.communications) postInfo.appendChild(el("p", "post-communications", interpolate(gettext("Communications: %s"), [p.communications])));
      if (!p.active) {
        postInfo.appendChild(el("p", "note", interpolate(gettext("Closed %s"), [when(p.closed_at, { year: true })])));
        return;
      }
      const pin = el("div", "command-post-pin");
      pin.title = gettext("Forward command post");
      postMarker = new maplibregl.Marker({ element: pin }).setLngLat([p.lon, p.lat]).addTo(map);
      window.citywatchCommandPost = p;
      if (canChange) {
        postInfo.appendChild(button(gettext("Close"), "post-close", async (b) => {
          b.disabled = true;
          showMessage(postMessage, "");
          try {
            renderPost(await api(base + "/command-post/close", { body: {} }));
          } catch (err) {
            showMessage(postMessage, errorText(err));
            b.disabled = false;
          }
        }));
      }
    }

    async function loadPost() {
      try {
        renderPost(await api(base + "/command-post"));
      } catch (err) {
        if (err.status === 404) renderPost(null);
        else showMessage(postMessage, err.message);
      }
    }

    postForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      showMessage(postMessage, "");
      const submit = postForm.querySelector("button[type=submit]");
      submit.disabled = true;
      const leader = $("post-leader").value.trim();
      try {
        renderPost(await api(base + "/command-post", { body: { lon: Number($("post-lon").value), lat: Number($("post-lat").value),
          leader: leader || null, communications: $("post-communications").value } }));
      } catch (err) {
        showMessage(postMessage, errorText(err));
      }
      submit.disabled = false;
    });
    // The page says whether the incident has a post yet: no request (and no 404) when it has none.
    if (incident.has_post) loadPost();
    else renderPost(null);

    // Situation reports.
    const sitrepList = $("sitrep-list");
    const sitrepMessage = $("sitrep-message");
    const generate = $("sitrep-generate");
    const SITREP_STATUS = { draft: gettext("Draft"), issued: gettext("Issued") };

    // The draft's editable tables: which keys of each row are shown (other keys are kept as they are).
    const SITREP_TABLES = [
      ["timeline", gettext("Timeline"), [["time", gettext("Time")], ["text", gettext("Event")]]],
      ["forces", gettext("Forces deployed"), [["team", gettext("Team")], ["status_label", gettext("Status")]]],
      ["supplies", gettext("Supplies deployed"), [["item", gettext("Item")], ["depot", gettext("Depot")], ["requested", gettext("Requested")],
        ["approved", gettext("Approved")], ["shipped", gettext("Shipped")], ["received", gettext("Received")], ["unit", gettext("Unit")]]],
    ];
    const SITREP_COUNTS = [["deaths", gettext("Deaths")], ["serious_injuries", gettext("Serious injuries")], ["injuries", gettext("Injuries")], ["missing", gettext("Missing")]];

    /** One editable table: a row per entry, an input per shown key, a button to remove a row, one to add. */
    function tableEditor(name, title, columns, rows) {
      const box = el("fieldset", "sitrep-table");
      box.dataset.table = name;
      box.appendChild(el("legend", null, title));
      const table = el("table", "table compact");
      const head = el("tr");
      columns.forEach(([, label]) => head.appendChild(el("th", null, label)));
      head.appendChild(el("th"));
      table.appendChild(el("thead")).appendChild(head);
      const body = el("tbody");
      table.appendChild(body);
      const addRow = (row) => {
        const tr = el("tr", "sitrep-row");
        tr.rowData = Object.assign({}, row);
        columns.forEach(([key, label]) => {
          const input = document.createElement("input");
          input.type = "text";
          input.name = key;
          input.maxLength = 1000;
          const raw = row[key] === undefined || row[key] === null ? "" : String(row[key]);
          // Times are stored as ISO instants: shown in the city's time, kept as they were unless edited.
          input.value = key === "time" && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? when(raw, { year: true }) : raw;
          input.dataset.shown = input.value;
          input.setAttribute("aria-label", label);
          tr.appendChild(el("td")).appendChild(input);
        });
        tr.appendChild(el("td")).appendChild(button(gettext("Remove"), "sitrep-row-remove", () => tr.remove()));
        body.appendChild(tr);
      };
      rows.forEach(addRow);
      box.append(table, button(gettext("Add a row"), "sitrep-row-add", () => addRow({})));
      box.read = () => Array.from(body.querySelectorAll("tr.sitrep-row")).map((tr) => {
        const row = Object.assign({}, tr.rowData);
        tr.querySelectorAll("input").forEach((input) => {
          if (input.value !== input.dataset.shown || !(input.name in row)) row[input.name] = input.value;
        });
        return row;
      });
      return box;
    }

    /** The draft's fields, saved with the version edited (a newer version answers 409). */
    function editSitrep(li, s) {
      if (li.querySelector("form.sitrep-form")) return;
      const form = el("form", "sitrep-form");
      const fields = [["summary", gettext("Summary")], ["needs", gettext("Needs")], ["next_steps", gettext("Next steps")]];
      const boxes = {};
      fields.forEach(([name, label]) => {
        const wrap = el("label", "sitrep-field", label);
        const box = document.createElement("textarea");
        box.name = name;
        box.rows = 3;
        box.value = s[name] || "";
        boxes[name] = box;
        wrap.appendChild(box);
        form.appendChild(wrap);
      });
      const counts = el("fieldset", "sitrep-counts");
      counts.appendChild(el("legend", null, gettext("Casualties")));
      SITREP_COUNTS.forEach(([name, label]) => {
        const wrap = el("label", "sitrep-count", label);
        const input = document.createElement("input");
        Object.assign(input, { type: "number", name: name, min: 0, max: 10000000, step: 1, required: true, value: String(s[name] || 0) });
        boxes[name] = input;
        wrap.appendChild(input);
        counts.appendChild(wrap);
      });
      form.appendChild(counts);
      const tables = SITREP_TABLES.map(([name, title, columns]) => {
        const t = tableEditor(name, title, columns, s[name] || []);
        form.appendChild(t);
        return [name, t];
      });
      const save = el("button", "sitrep-save", gettext("Save"));
      save.type = "submit";
      form.append(save, " ", button(gettext("Close the editor"), "sitrep-cancel", () => form.remove()));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        save.disabled = true;
        showMessage(sitrepMessage, "");
        const body = { version: s.version };
        fields.forEach(([name]) => { body[name] = boxes[name].value; });
        SITREP_COUNTS.forEach(([name]) => { body[name] = Number(boxes[name].value); });
        tables.forEach(([name, t]) => { body[name] = t.read(); });
        try {
          renderSitrep(await api(base + "/sitreps/" + encodeURIComponent(s.number), { method: "PATCH", body: body }));
        } catch (err) {
          showMessage(sitrepMessage, errorText(err));
          save.disabled = false;
        }
      });
      li.appendChild(form);
    }

    function renderSitrep(s) {
      let li = sitrepList.querySelector('li[data-number="' + s.number + '"]');
      if (!li) {
        li = el("li", "sitrep");
        li.dataset.number = String(s.number);
        sitrepList.prepend(li);
      }
      // A live refresh leaves an open editor alone while nobody else has saved a newer version.
      if (li.querySelector("form.sitrep-form") && li.dataset.version === String(s.version) && li.dataset.status === s.status) return;
      li.dataset.status = s.status;
      li.dataset.version = String(s.version);
      const pdf = el("a", "sitrep-pdf", "PDF");
      pdf.href = s.pdf;
      const docx = el("a", "sitrep-docx", "DOCX");
      docx.href = s.docx;
      li.replaceChildren(el("span", "sitrep-title", interpolate(gettext("No. %(number)s, version %(version)s"), { number: s.number, version: s.version }, true)),
        " ", el("span", "sitrep-status badge status-" + s.status, SITREP_STATUS[s.status] || s.status), " ", pdf, " ", docx);
      if (canChange && s.status === "draft") {
        li.append(" ", button(gettext("Edit"), "sitrep-edit", () => editSitrep(li, s)));
        li.append(" ", button(gettext("Issue"), "sitrep-issue", async (b) => {
          b.disabled = true;
          showMessage(sitrepMessage, "");
          try {
            renderSitrep(await api(base + "/sitreps/" + encodeURIComponent(s.number) + "/issue", { body: { version: s.version } }));
          } catch (err) {
            showMessage(sitrepMessage, errorText(err));
            b.disabled = false;
          }
        }));
      }
    }

    async function loadSitreps() {
      try {
        const items = await api(base + "/sitreps");
        sitrepList.querySelectorAll("li.empty").forEach((x) => x.remove());
        if (!items.length) sitrepList.appendChild(el("li", "note empty", gettext("No situation report yet.")));
        items.slice().sort((a, b) => a.number - b.number).forEach(renderSitrep);
        sitrepList.dataset.state = "loaded";
      } catch (err) {
        showMessage(sitrepMessage, err.message);
      }
    }

    if (canChange) {
      generate.hidden = false;
      generate.addEventListener("click", async () => {
        generate.disabled = true;
        showMessage(sitrepMessage, "");
        try {
          const s = await api(base + "/sitreps", { method: "POST", body: {} });
          const empty = sitrepList.querySelector("li.empty");
          if (empty) empty.remove();
          renderSitrep(s);
        } catch (err) {
          showMessage(sitrepMessage, errorText(err));
        }
        generate.disabled = false;
      });
    }
    loadSitreps();

    return { reloadSupplies: loadSupplies, reloadPost: loadPost, reloadSitreps: loadSitreps };
  }
})();
