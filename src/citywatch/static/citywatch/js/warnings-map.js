/* The warnings page's map: the basemap; the warnings layer itself (warnings-layer.js) fills the areas in
   force in their signal colours and follows the event stream. A click names the warning. */
(function () {
  "use strict";
  const el = document.getElementById("warnings-map");
  if (!el || !window.CityWatchBasemap) return;
  const map = window.CityWatchBasemap.createMap({ container: el, center: [118.1, 24.6], zoom: 8.6 });
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  window.citywatchWarningsMap = map;
  const state = document.getElementById("live-state");
  window.addEventListener("citywatch:live", (e) => {
    document.body.dataset.live = e.detail;
    if (state) state.textContent = e.detail === "open" ? "●" : "○";
  });
  map.on("click", "warnings-fill", (e) => {
    new maplibregl.Popup().setLngLat(e.lngLat).setText(e.features[0].properties.headline).addTo(map);
  });
})();
