#!/usr/bin/env bash
# Copies the front-end packages installed by npm (package-lock.json) into static/vendor: no CDN at run time.
set -euo pipefail
dest=src/citywatch/static/vendor
rm -rf "$dest"
mkdir -p "$dest/maplibre-gl" "$dest/echarts" "$dest/htmx"
cp node_modules/maplibre-gl/dist/maplibre-gl.js node_modules/maplibre-gl/dist/maplibre-gl.js.map \
   node_modules/maplibre-gl/dist/maplibre-gl.css \
   node_modules/maplibre-gl/LICENSE.txt "$dest/maplibre-gl/"
cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE "$dest/echarts/"
cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE "$dest/htmx/"
