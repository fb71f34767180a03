/* The new-incident form's map picker. Clicking the map (or dragging the marker) fills longitude and
   latitude in WGS-84 with 6 decimals and sets the coordinate system to WGS-84; typing coordinates moves
   the marker (GCJ-02 and BD-09 are converted for display, as the server converts them on save). The
   districts you can see are outlined, and the status line says which one the point is in. Without
   JavaScript the map stays hidden and the form works as before. DOM APIs only: no HTML from data. */
(function () {
  "use strict";
  const mapEl = document.getElementById("incident-map");
  const picker = document.getElementById("incident-map-picker");
  if (!mapEl || !picker || !window.maplibregl) return;
  // Django's JavaScript catalogue (/jsi18n/) defines gettext, pgettext and interpolate.
  const gettext = window.gettext || ((s) => s);
  const { interpolate } = window.CityWatchFormat;
  const lonInput = document.getElementById("id_lon");
  const latInput = document.getElementById("id_lat");
  const crsSelect = document.getElementById("id_crs");
  const status = document.getElementById("incident-map-status");
  picker.hidden = false;

  // --- Coordinate systems (the same formulas as citywatch/geo/crs.py) -------------------------------
  const A = 6378245.0;
  const EE = 0.00669342162296594323;
  const X_PI = (Math.PI * 3000.0) / 180.0;
  const inChina = (lon, lat) => lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;

  function transformLat(x, y) {
    let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
    r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
    return r;
  }

  function transformLon(x, y) {
    let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
    r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
    return r;
  }

  function wgs84ToGcj02(lon, lat) {
    if (!inChina(lon, lat)) return [lon, lat];
    let dlat = transformLat(lon - 105.0, lat - 35.0);
    let dlon = transformLon(lon - 105.0, lat - 35.0);
    const radlat = (lat / 180.0) * Math.PI;
    const magic = 1 - EE * Math.sin(radlat) ** 2;
    const sqrtmagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / (((A * (1 - EE)) / (magic * sqrtmagic)) * Math.PI);
    dlon = (dlon * 180.0) / ((A / sqrtmagic) * Math.cos(radlat) * Math.PI);
    return [lon + dlon, lat + dlat];
  }

  function gcj02ToWgs84(lon, lat) {
    let w = [lon, lat];
    for (let i = 0; i < 30; i++) {
      const g = wgs84ToGcj02(w[0], w[1]);
      const e = [g[0] - lon, g[1] - lat];
      w = [w[0] - e[0], w[1] - e[1]];
      if (Math.abs(e[0]) < 1e-9 && Math.abs(e[1]) < 1e-9) break;
    }
    return w;
  }

  function bd09ToGcj02(lon, lat) {
    const x = lon - 0.0065;
    const y = lat - 0.006;
    const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI);
    const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
    return [z * Math.cos(theta), z * Math.sin(theta)];
  }

  function toWgs84(lon, lat, crs) {
    if (crs === "gcj02") return gcj02ToWgs84(lon, lat);
    if (crs === "bd09") return gcj02ToWgs84(...bd09ToGcj02(lon, lat));
    return [lon, lat];
  }

  // --- The map ----------------------------------------------------------------------------------------

  const map = window.CityWatchBasemap.createMap({ container: mapEl, center: [118.1, 24.55], zoom: 9 }); // basemap.js
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  window.citywatchMap = map;
  const loaded = (window.citywatchLayers = {});
  const marker = new maplibregl.Marker({ color: "#b91c1c", draggable: true });
  let point = null; // [lon, lat] in WGS-84 where the marker stands, or null

  /** The typed coordinates in WGS-84, or null when they are not a valid longitude and latitude. */
  function typedPoint() {
    const lon = Number(lonInput.value.trim());
    const lat = Number(latInput.value.trim());
    if (lonInput.value.trim() === "" || latInput.value.trim() === "") return null;
    if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) return null;
    return toWgs84(lon, lat, crsSelect.value);
  }

  /** Is [lon, lat] inside a ring (ray casting)? */
  function inRing(p, ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function inPolygon(p, rings) {
    return rings.length > 0 && inRing(p, rings[0]) && !rings.slice(1).some((hole) => inRing(p, hole));
  }

  function districtAt(p) {
    const features = (loaded.districts && loaded.districts.features) || [];
    return features.find((f) => {
      const g = f.geometry;
      if (!g) return false;
      if (g.type === "Polygon") return inPolygon(p, g.coordinates);
      if (g.type === "MultiPolygon") return g.coordinates.some((rings) => inPolygon(p, rings));
      return false;
    });
  }

  function describe() {
    if (!point) {
      status.textContent = gettext("Click the map to set the location, or type the coordinates.");
      status.dataset.district = "";
      return;
    }
    const where = districtAt(point);
    status.dataset.district = where ? where.properties.code || where.id || "" : "";
    if (where) status.textContent = interpolate(gettext("Location in %(district)s."), { district: where.properties.name }, true);
    else if (loaded.districts) status.textContent = gettext("Location outside the districts shown on the map.");
    else status.textContent = "";
  }

  function place(p) {
    point = p;
    if (p) marker.setLngLat(p).addTo(map);
    else marker.remove();
    describe();
  }

  /** A point picked on the map: into the form (WGS-84, 6 decimals) and under the marker. */
  function pick(lngLat) {
    const lon = Math.max(-180, Math.min(180, lngLat.lng));
    lonInput.value = lon.toFixed(6);
    latInput.value = lngLat.lat.toFixed(6);
    crsSelect.value = "wgs84";
    place([lon, lngLat.lat]);
  }

  function follow() {
    const p = typedPoint();
    place(p);
    if (p && !map.getBounds().contains(p)) map.easeTo({ center: p });
  }

  // Place search: the chosen place's point goes into the form; the map shows its area.
  const placeInput = document.getElementById("place-q");
  const placeList = document.getElementById("place-results");
  if (placeInput && placeList && window.CityWatchPlaceSearch) {
    window.CityWatchPlaceSearch.attach(placeInput, placeList, (p) => {
      pick({ lng: p.lon, lat: p.lat });
      window.CityWatchPlaceSearch.show(map, p);
      status.textContent = interpolate(gettext("Location set to %(place)s (%(kind)s); click the map to refine it."),
        { place: p.context ? p.context + " · " + p.name : p.name, kind: p.kind_label }, true);
      status.dataset.place = p.name;
    });
  }

  map.on("click", (e) => pick(e.lngLat));
  marker.on("dragend", () => pick(marker.getLngLat()));
  lonInput.addEventListener("input", follow);
  latInput.addEventListener("input", follow);
  crsSelect.addEventListener("change", follow);

  const first = typedPoint();
  if (first) {
    place(first);
    map.jumpTo({ center: first, zoom: 13 });
  } else {
    describe();
  }

  // The districts you can see, outlined; the map starts on them unless a point is already set.
  map.on("load", async () => {
    const url = new URL(mapEl.dataset.areasUrl, window.location.origin);
    url.searchParams.set("level", "district");
    url.searchParams.set("format", "geojson");
    url.searchParams.set("limit", "100");
    let districts;
    try {
      const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      districts = await r.json();
    } catch (err) {
      mapEl.dataset.districts = "failed";
      return; // the outlines are a help; the picker works without them
    }
    loaded.districts = districts;
    map.addSource("districts", { type: "geojson", data: districts });
    const labels = window.CityWatchBasemap.firstLabelLayer(map);
    map.addLayer({ id: "districts-fill", type: "fill", source: "districts", paint: { "fill-color": "#3b82f6", "fill-opacity": 0.06 } }, labels);
    map.addLayer({ id: "districts-line", type: "line", source: "districts", paint: { "line-color": "#1d4ed8", "line-width": 1.2 } }, labels);
    if (!point) {
      const box = [Infinity, Infinity, -Infinity, -Infinity];
      const extend = (c) => {
        if (typeof c[0] !== "number") return c.forEach(extend);
        box[0] = Math.min(box[0], c[0]);
        box[1] = Math.min(box[1], c[1]);
        box[2] = Math.max(box[2], c[0]);
        box[3] = Math.max(box[3], c[1]);
      };
      districts.features.forEach((f) => f.geometry && extend(f.geometry.coordinates));
      if (box[0] <= box[2]) map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: 20, animate: false });
    }
    describe();
    mapEl.dataset.districts = "loaded";
  });
})();
