#!/usr/bin/env bash
# Refresh the vendored chart library from the npm registry (run by a developer; the result is committed so that
# nothing is fetched at run time, no CDN). Usage: bash dashboards/fetch_vendor.sh [version]
set -euo pipefail
VERSION="${1:-4.5.1}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "chart.js@${VERSION}" >/dev/null && tar xzf chart.js-*.tgz)
mkdir -p "$here/static/vendor"
cp "$tmp/package/dist/chart.umd.js" "$here/static/vendor/chart.umd.js"
cp "$tmp/package/LICENSE.md" "$here/static/vendor/chart.js.LICENSE.md"
echo "chart.js@${VERSION} ($(node -p "require('$tmp/package/package.json').version" 2>/dev/null || echo "$VERSION"))" \
  > "$here/static/vendor/VERSION"
ls -l "$here/static/vendor"
