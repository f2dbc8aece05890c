#!/usr/bin/env bash
# Re-fetch the vendored front-end packages from npm and copy into static/vendor/ only
# the files Legami loads at run time. Node and npm are needed only to run this script,
# never to run Legami.
#
#   static/vendor/update.sh            # the pinned versions below
#   BOOTSTRAP_ITALIA=2.18.3 static/vendor/update.sh
#
# To move to a new version: change the pin, run the script, look at the pages (and at
# the browser console for Content-Security-Policy errors), run collectstatic, and update
# the versions in static/vendor/README.md.
set -euo pipefail

BOOTSTRAP_ITALIA="${BOOTSTRAP_ITALIA:-2.18.3}"
HTMX="${HTMX:-2.0.11}"
CHARTJS="${CHARTJS:-4.6.1}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(mktemp -d "${TMPDIR:-/tmp}/legami-vendor.XXXXXX")"
trap 'rm -rf "$build"' EXIT

echo "Fetching bootstrap-italia@$BOOTSTRAP_ITALIA htmx.org@$HTMX chart.js@$CHARTJS into $build"
(
    cd "$build"
    npm init -y >/dev/null
    npm install --no-audit --no-fund --ignore-scripts --save-exact \
        "bootstrap-italia@$BOOTSTRAP_ITALIA" "htmx.org@$HTMX" "chart.js@$CHARTJS" >/dev/null
)
nm="$build/node_modules"

# Copy one file, dropping any sourceMappingURL comment: the maps are not vendored and
# ManifestStaticFilesStorage fails at collectstatic on a reference to a missing file.
copy() {
    mkdir -p "$(dirname "$2")"
    case "$1" in
        *.css | *.js) sed -e '/^[[:space:]]*\/[*\/]# sourceMappingURL=.*$/d' "$1" >"$2" ;;
        *) cp "$1" "$2" ;;
    esac
}

# --- Bootstrap Italia: CSS, the JS bundle (with Popper), the icon sprite, the fonts.
# The CSS references no font file: Bootstrap Italia's loadFonts() would inject a <style>
# element, which our CSP forbids, so static/legami/css/fonts.css declares the faces
# instead. Only WOFF2 is kept (every browser that runs the CSS reads it).
bi="$here/bootstrap-italia"
rm -rf "$bi"
src="$nm/bootstrap-italia"
copy "$src/dist/css/bootstrap-italia.min.css" "$bi/dist/css/bootstrap-italia.min.css"
# The CSS embeds the Video.js icon font as a data: URI. Chromium fetches data: fonts as
# soon as the stylesheet is parsed, so every page would log a violation of our
# "font-src 'self'". Legami has no video player: drop that one @font-face.
css="$bi/dist/css/bootstrap-italia.min.css"
sed -E -i 's/@font-face\{font-family:VideoJS;src:url\(data:[^)]*\)[^}]*\}//' "$css"
if grep -q 'url(data:application/font' "$css"; then
    echo "bootstrap-italia.min.css still embeds a data: font: check the VideoJS rule above" >&2
    exit 1
fi
copy "$src/dist/js/bootstrap-italia.bundle.min.js" "$bi/dist/js/bootstrap-italia.bundle.min.js"
copy "$src/dist/svg/sprites.svg" "$bi/dist/svg/sprites.svg"
for family in Titillium_Web Lora Roboto_Mono; do
    mkdir -p "$bi/dist/fonts/$family"
    cp "$src/dist/fonts/$family/"*.woff2 "$bi/dist/fonts/$family/"
    cp "$src/dist/fonts/$family/"*.txt "$bi/dist/fonts/$family/"
done
cp "$src/LICENSE" "$bi/LICENSE"
echo "$BOOTSTRAP_ITALIA" >"$bi/VERSION"

# --- htmx
hx="$here/htmx.org"
rm -rf "$hx"
copy "$nm/htmx.org/dist/htmx.min.js" "$hx/dist/htmx.min.js"
cp "$nm/htmx.org/LICENSE" "$hx/LICENSE"
echo "$HTMX" >"$hx/VERSION"

# --- Chart.js (UMD build: a plain <script> defines window.Chart)
cj="$here/chart.js"
rm -rf "$cj"
copy "$nm/chart.js/dist/chart.umd.min.js" "$cj/dist/chart.umd.min.js"
cp "$nm/chart.js/LICENSE.md" "$cj/LICENSE.md"
echo "$CHARTJS" >"$cj/VERSION"

# Fail if a CSS url() points at a file that was not copied (data: URIs are inline).
missing=0
while IFS= read -r ref; do
    path="${ref%%[?#]*}"
    if [ ! -e "$bi/dist/css/$path" ]; then
        echo "missing: bootstrap-italia/dist/css/$path" >&2
        missing=1
    fi
done < <(grep -o 'url([^)]*)' "$bi/dist/css/bootstrap-italia.min.css" \
    | sed -e 's/^url(//' -e 's/)$//' -e "s/^[\"']//" -e "s/[\"']\$//" \
    | grep -v -e '^data:' -e '^#' -e '^https\?:' || true)
[ "$missing" -eq 0 ] || exit 1

# Record the versions actually installed.
for pkg in bootstrap-italia htmx.org chart.js; do
    printf '%s %s\n' "$pkg" "$(node -p "require('$nm/$pkg/package.json').version")"
done
du -sh "$bi" "$hx" "$cj"
