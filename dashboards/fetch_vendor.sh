#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry (run by a developer; the result is committed so that
# nothing is fetched at run time, no CDN): chart.js for the dashboards, swagger-ui-dist for the API's /docs page.
# Usage: bash dashboards/fetch_vendor.sh [chart.js version] [swagger-ui-dist version]
set -euo pipefail
VERSION="${1:-4.5.1}"
SWAGGER_VERSION="${2:-5.35.0}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
pkg_version() { node -p "require('$1/package.json').version" 2>/dev/null || echo "$2"; }

(cd "$tmp" && npm pack --silent "chart.js@${VERSION}" >/dev/null && tar xzf chart.js-*.tgz)
mkdir -p "$here/static/vendor"
cp "$tmp/package/dist/chart.umd.js" "$here/static/vendor/chart.umd.js"
cp "$tmp/package/LICENSE.md" "$here/static/vendor/chart.js.LICENSE.md"
echo "chart.js@${VERSION} ($(pkg_version "$tmp/package" "$VERSION"))" > "$here/static/vendor/VERSION"

# swagger-ui-dist: only the three files /docs loads (service/api/app.py), plus its licence.
mkdir -p "$tmp/swagger"
(cd "$tmp/swagger" && npm pack --silent "swagger-ui-dist@${SWAGGER_VERSION}" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
dest="$here/static/vendor/swagger-ui"
rm -rf "$dest" && mkdir -p "$dest"
for f in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE; do
  cp "$tmp/swagger/package/$f" "$dest/$f"
done
echo "swagger-ui-dist@${SWAGGER_VERSION} ($(pkg_version "$tmp/swagger/package" "$SWAGGER_VERSION"))" \
  >> "$here/static/vendor/VERSION"
ls -l "$here/static/vendor" "$dest"
