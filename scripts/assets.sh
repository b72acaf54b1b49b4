#!/usr/bin/env bash
# Browser assets from npm (package.json + package-lock.json) into web/static/vendor/ (generated, gitignored).
# Idempotent and quiet when nothing changed:
#   - the vendor copy is redone only when its stamp does not match package-lock.json and this script;
#   - `npm ci` runs only when node_modules is missing or package-lock.json changed (stamp in node_modules/).
# Used by `make install` and by the node stage of the Dockerfile. Prints only what it does.
set -euo pipefail
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
cd "$(dirname "$0")/.."

VENDOR=web/static/vendor
PACKAGES=(htmx.org bpmn-js axe-core)
npm_stamp=node_modules/.akte-npm-$(sha256sum < package-lock.json | cut -c1-12)
vendor_stamp=$VENDOR/.akte-vendor-$(cat package-lock.json scripts/assets.sh | sha256sum | cut -c1-12)

[[ -f $vendor_stamp ]] && exit 0

if [[ ! -f $npm_stamp ]]; then
    command -v npm >/dev/null || { echo "assets: node and npm (node >= 18) are needed to install $VENDOR/" >&2; exit 1; }
    echo "assets: npm ci ${PACKAGES[*]} (node $(node --version))"
    # npm may warn about unknown user config (e.g. "nodedir") on stderr: harmless, only the exit code counts
    npm ci --no-audit --no-fund --loglevel=error
    touch "$npm_stamp"
fi

echo "assets: copying ${PACKAGES[*]} into $VENDOR/"
rm -rf "$VENDOR"
mkdir -p "$VENDOR/bpmn-js" "$VENDOR/licenses"
cp node_modules/htmx.org/dist/htmx.min.js "$VENDOR/"
cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js "$VENDOR/bpmn-js/"
cp node_modules/bpmn-js/dist/bpmn-modeler.production.min.js "$VENDOR/bpmn-js/"  # for the process designer
cp -r node_modules/bpmn-js/dist/assets "$VENDOR/bpmn-js/assets"  # diagram-js.css, bpmn-js.css, bpmn-font/
cp node_modules/axe-core/axe.min.js "$VENDOR/"  # used by the browser tests only
for package in "${PACKAGES[@]}"; do
    cp "node_modules/$package/LICENSE" "$VENDOR/licenses/$package.LICENSE.txt"
    printf '%s %s\n' "$package" "$(node -p "require('./node_modules/$package/package.json').version")" >> "$VENDOR/VERSIONS.txt"
done
touch "$vendor_stamp"
