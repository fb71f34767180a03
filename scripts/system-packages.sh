#!/usr/bin/env bash
# Installs the Debian packages CityWatch needs, only those missing. As root it runs apt-get; otherwise it
# prints the exact command to run. Usage: scripts/system-packages.sh [demo|test|postgis]
set -euo pipefail
what="${1:-demo}"
packages=(gdal-bin libsqlite3-mod-spatialite gettext python3 python3-venv fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
  mosquitto mosquitto-clients)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
case "$what" in
  test) packages+=(chromium poppler-utils) ;;
  # postgresql-client: pg_dump, pg_restore and psql for `citywatch backup` and `citywatch restore`
  postgis) packages=(postgresql-15-postgis-3 postgresql-client) ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "CityWatch needs these Debian packages. Run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
