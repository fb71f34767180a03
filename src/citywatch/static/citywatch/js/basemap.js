/* The basemap every CityWatch map shares. Load it after maplibre-gl.js and map-locale.js, as
   <script src="…/basemap.js" data-style-url="/basemap/style.json">; page scripts then make their maps with
   `CityWatchBasemap.createMap({ container, center, zoom })`.
   The style comes from the server (core/basemap.py): CityWatch's own vector tiles of land and sea, roads and
   administrative areas, or the raster tiles of CITYWATCH_BASEMAP_URL when one is configured. It has no glyph
   server: MapLibre draws every label with the browser's fonts, so names show with the network off. */
(function () {
  "use strict";
  const script = document.currentScript;
  const STYLE_URL = (script && script.dataset.styleUrl) || "/basemap/style.json";
  // Chinese text is drawn with the first of these the machine has (Debian: fonts-noto-cjk; Windows: YaHei).
  const CJK_FONTS = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";

  // MapLibre's own credit in the page's language (its default reads "MapLibre" among Chinese credits);
  // the sources' credits come translated in the style (core/basemap.py).
  const gettext = window.gettext || ((s) => s);
  const MAPLIBRE_CREDIT = gettext("Map engine: %s").replace(
    "%s", '<a href="https://maplibre.org/" target="_blank" rel="noopener">MapLibre</a>');

  /** A MapLibre map on the shared basemap; `options` are MapLibre's (container, center, zoom, …). */
  function createMap(options) {
    const map = new maplibregl.Map(
      Object.assign(
        {
          style: STYLE_URL,
          attributionControl: { compact: true, customAttribution: MAPLIBRE_CREDIT },
          locale: window.CityWatchMapLocale,
          localIdeographFontFamily: CJK_FONTS,
        },
        options,
      ),
    );
    // On a phone's small map the sources' credits start folded behind their (i) button: open, they cover
    // a third of the map.
    map.once("load", () => {
      if (map.getContainer().clientWidth >= 640) return;
      map.getContainer().querySelectorAll(".maplibregl-ctrl-attrib.maplibregl-compact-show")
        .forEach((e) => e.classList.remove("maplibregl-compact-show"));
    });
    return map;
  }

  /** The id of the basemap's first label layer (undefined if it has none): areas a page draws go below it
      (`map.addLayer(spec, CityWatchBasemap.firstLabelLayer(map))`), so place and road names stay readable. */
  function firstLabelLayer(map) {
    const layer = map.getStyle().layers.find((l) => l.type === "symbol");
    return layer ? layer.id : undefined;
  }

  /** True when the basemap names the districts itself (the page then needs no HTML labels of its own). */
  function hasPlaceLabels(map) {
    return Boolean(map.getLayer("label-district"));
  }

  window.CityWatchBasemap = { styleUrl: STYLE_URL, createMap: createMap, firstLabelLayer: firstLabelLayer, hasPlaceLabels: hasPlaceLabels };
})();
