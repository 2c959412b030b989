#!/usr/bin/env bash
# The report is a web page, so test it as one: render report/index.html in headless Chromium
# (Debian's `chromium` package) and check that every figure the page shows was loaded and
# decoded by the browser, that the page has text, and that its screenshot is not blank.
#
# Usage: scripts/report-browser.sh SWEEP_BINARY [SWEEP_DIR]
#   Without SWEEP_DIR, runs sweeps/ci.yaml into a temporary directory first.
#   SCREENSHOT=FILE keeps the screenshot (default: SWEEP_DIR/report-screenshot.png, or none for
#   the temporary sweep). Exit 0 when every check passes, 1 when one fails, 2 on bad usage.
set -uo pipefail

BIN=${1:-}
DIR=${2:-}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
  echo "usage: scripts/report-browser.sh SWEEP_BINARY [SWEEP_DIR]" >&2
  exit 2
fi
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ]; then
  echo "chromium not found: install it with 'apt-get install -y chromium'" >&2
  exit 2
fi
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 2; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
if [ -z "$DIR" ]; then
  "$BIN" run sweeps/ci.yaml --results "$T/results" --quiet || { echo "sweep run failed" >&2; exit 1; }
  DIR="$T/results/ci"
  SHOT=${SCREENSHOT:-$T/screenshot.png}
else
  SHOT=${SCREENSHOT:-$DIR/report-screenshot.png}
fi
[ -f "$DIR/manifest.json" ] || { echo "$DIR: no manifest.json" >&2; exit 2; }
"$BIN" report "$DIR" >/dev/null || { echo "sweep report $DIR failed" >&2; exit 1; }
REPORT="$DIR/report"

pass=0
fail=0
check() {
  local name=$1
  shift
  if "$@"; then
    pass=$((pass + 1))
    echo "ok    $name"
  else
    fail=$((fail + 1))
    echo "FAIL  $name"
  fi
}

# Chromium runs as root in CI containers, where its sandbox is unavailable.
browse() {
  timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --no-first-run --disable-extensions --mute-audio --user-data-dir="$T/profile" "$@" \
    2>>"$T/browser.log"
}

# A copy of the page with a probe appended: after the load event it records in the DOM how many
# images there are, which were not decoded (not complete or zero natural width), the length of
# the visible text and the page height. --dump-dom prints the DOM after load.
cp -r "$REPORT" "$T/probe"
python3 - "$REPORT/index.html" "$T/probe/index.html" <<'EOF'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
probe = """<script>
addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var bad = images.filter(function (i) { return !i.complete || i.naturalWidth === 0; })
    .map(function (i) { return i.getAttribute('src'); });
  document.body.setAttribute('data-probe', JSON.stringify({
    images: images.length, bad: bad, text: document.body.innerText.trim().length,
    height: document.documentElement.scrollHeight,
    srcs: images.map(function (i) { return i.getAttribute('src'); })}));
});
</script>
"""
assert page.count("</body>") == 1, "index.html has no single </body>"
open(sys.argv[2], "w", encoding="utf-8").write(page.replace("</body>", probe + "</body>"))
EOF
browse --virtual-time-budget=30000 --dump-dom "file://$T/probe/index.html" >"$T/dom.html"

python3 - "$T/dom.html" "$REPORT" >"$T/probe.txt" <<'EOF'
import html, json, os, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'data-probe="([^"]*)"', dom)
if not m:
    print("error: the probe did not run (no data-probe attribute in the dumped DOM)")
    sys.exit(0)
p = json.loads(html.unescape(m.group(1)))
files = sorted(f for f in os.listdir(sys.argv[2]) if f.endswith(".svg"))
print(f"images={p['images']} bad={len(p['bad'])} text={p['text']} height={p['height']}")
print("bad: " + " ".join(p["bad"]))
print("files=" + str(len(files)))
print("unlinked: " + " ".join(sorted(set(files) - set(p["srcs"]))))
print("claims=" + str(sum(1 for s in p["srcs"] if re.fullmatch(r"claim-[1-5]\.svg", s))))
EOF
cat "$T/probe.txt"
field() { grep -o "$1=[0-9]*" "$T/probe.txt" | head -1 | cut -d= -f2; }
check "the browser ran the probe" bash -c "! grep -q '^error' '$T/probe.txt'"
check "the page shows images" test "$(field images)" -gt 0 2>/dev/null
check "every image was loaded and decoded" test "$(field bad)" = 0
check "every SVG of the report is on the page" grep -qx "unlinked: " "$T/probe.txt"
check "one evidence figure per claim" test "$(field claims)" = 5
check "the page has text" test "$(field text)" -gt 1000 2>/dev/null

# The screenshot of the real page (no probe): a PNG of the window size that is not uniform.
rm -f "$SHOT"
browse --window-size=1400,2600 --virtual-time-budget=30000 --screenshot="$SHOT" \
  "file://$(cd "$REPORT" && pwd)/index.html" >/dev/null
check "screenshot written" test -s "$SHOT"
python3 - "$SHOT" >"$T/png.txt" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print("error: not a PNG"); sys.exit(0)
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT": idat += body
    pos += 12 + length
width, height, depth, colour = ihdr[0], ihdr[1], ihdr[2], ihdr[3]
channels = {2: 3, 6: 4}.get(colour)
if depth != 8 or channels is None:
    print(f"error: unsupported PNG (depth {depth}, colour type {colour})"); sys.exit(0)
raw = zlib.decompress(idat)
stride = width * channels
previous = bytearray(stride)
colours, coloured, white = set(), 0, 0
for y in range(height):
    kind = raw[y * (stride + 1)]
    row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if kind == 1:
        for i in range(channels, stride): row[i] = (row[i] + row[i - channels]) & 255
    elif kind == 2:
        row = bytearray((a + b) & 255 for a, b in zip(row, previous))
    elif kind == 3:
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            row[i] = (row[i] + ((left + previous[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(stride):
            a = row[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    previous = row
    if y % 4 == 0:
        for x in range(0, width, 4):
            px = bytes(row[x * channels:x * channels + 3])
            colours.add(px)
            if px == b"\xff\xff\xff": white += 1
            elif abs(px[0] - px[1]) > 24 or abs(px[1] - px[2]) > 24: coloured += 1
sampled = ((height + 3) // 4) * ((width + 3) // 4)
print(f"size={width}x{height} colours={len(colours)} ink={100 * (sampled - white) // sampled} "
      f"coloured={100000 * coloured // sampled}")
EOF
cat "$T/png.txt"
pf() { grep -o "$1=[0-9]*" "$T/png.txt" | head -1 | cut -d= -f2; }
check "screenshot decodes as a PNG" bash -c "! grep -q '^error' '$T/png.txt'"
check "screenshot has the window size" grep -q "size=1400x2600" "$T/png.txt"
check "screenshot is not uniform (many colours)" test "$(pf colours)" -gt 50 2>/dev/null
check "screenshot is not blank (>= 2% non-white)" test "$(pf ink)" -ge 2 2>/dev/null
check "screenshot shows coloured figures or tables" test "$(pf coloured)" -ge 500 2>/dev/null

[ "$fail" -eq 0 ] || { echo "browser log:"; grep -v -e dbus -e Fontconfig "$T/browser.log" | tail -20; }
[ -z "${2:-}" ] && [ -z "${SCREENSHOT:-}" ] || echo "screenshot: $SHOT"
echo "report-browser: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
