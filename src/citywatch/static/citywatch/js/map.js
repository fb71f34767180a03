/* The area map: districts as polygons, streets and communities as points, restricted server-side
   to the user's jurisdiction. No CDN, no glyph server: labels are HTML markers. */
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el) return;
  // Django's JavaScript catalogue (/jsi18n/) defines gettext, ngettext and interpolate.
  const gettext = window.gettext || ((s) => s);
  const ngettext = window.ngettext || ((s, p, n) => (n === 1 ? s : p));
  const status = document.getElementById("map-status");
  const list = document.getElementById("district-list");
  const areaPage = (code) => el.dataset.areaPage.replace("CODE", encodeURIComponent(code));

  const style = { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef2f5" } }] };
  if (el.dataset.basemap) {
    style.sources.basemap = { type: "raster", tiles: [el.dataset.basemap], tileSize: 256, attribution: el.dataset.attribution || "" };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  const map = new maplibregl.Map({ container: el, style: style, center: [118.1, 24.55], zoom: 9, attributionControl: { compact: true } });
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  window.citywatchMap = map;

  async function fetchAll(level) {
    const url = new URL(el.dataset.areasUrl, window.location.origin);
    url.searchParams.set("format", "geojson");
    url.searchParams.set("level", level);
    url.searchParams.set("limit", "1000");
    const features = [];
    for (let offset = 0; ; offset += 1000) {
      url.searchParams.set("offset", String(offset));
      const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      const page = await r.json();
      features.push(...page.features);
      if (features.length >= page.numberMatched || page.features.length === 0) break;
    }
    return { type: "FeatureCollection", features: features };
  }

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

  map.on("load", async () => {
    try {
      const [districts, streets, communities] = await Promise.all([fetchAll("district"), fetchAll("street"), fetchAll("community")]);
      window.citywatchLayers = { districts: districts, streets: streets, communities: communities };
      map.addSource("districts", { type: "geojson", data: districts });
      map.addSource("streets", { type: "geojson", data: streets });
      map.addSource("communities", { type: "geojson", data: communities, cluster: true, clusterRadius: 30, clusterMaxZoom: 12 });
      map.addLayer({ id: "districts-fill", type: "fill", source: "districts", paint: { "fill-color": "#3b82f6", "fill-opacity": 0.12 } });
      map.addLayer({ id: "districts-line", type: "line", source: "districts", paint: { "line-color": "#1d4ed8", "line-width": 1.5 } });
      map.addLayer({ id: "communities-cluster", type: "circle", source: "communities", filter: ["has", "point_count"], layout: { visibility: "none" },
        paint: { "circle-color": "#94a3b8", "circle-radius": ["step", ["get", "point_count"], 8, 20, 12, 60, 16], "circle-opacity": 0.7 } });
      map.addLayer({ id: "communities-point", type: "circle", source: "communities", filter: ["!", ["has", "point_count"]], layout: { visibility: "none" },
        paint: { "circle-color": "#64748b", "circle-radius": 3, "circle-stroke-color": "#fff", "circle-stroke-width": 0.5 } });
      map.addLayer({ id: "streets-point", type: "circle", source: "streets",
        paint: { "circle-color": "#f59e0b", "circle-radius": 5, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
      const layerGroups = { districts: ["districts-fill", "districts-line"], streets: ["streets-point"], communities: ["communities-cluster", "communities-point"] };
      document.querySelectorAll("input[data-layer]").forEach((box) => {
        box.addEventListener("change", () => {
          layerGroups[box.dataset.layer].forEach((id) => map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none"));
        });
      });
      ["districts-fill", "streets-point", "communities-point"].forEach((id) => {
        map.on("click", id, (e) => popup(e.features[0], e.lngLat));
        map.on("mouseenter", id, () => (map.getCanvas().style.cursor = "pointer"));
        map.on("mouseleave", id, () => (map.getCanvas().style.cursor = ""));
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
