#!/usr/bin/env bash
# Renders the shipped example (examples/clinic/estate) to report.html and screenshots it in
# headless Chromium (Debian's `chromium`):
#   docs/report-screenshot.png          the top of the report (run, citations)
#   docs/report-screenshot-finding.png  one rule with its failing findings and their evidence
# Usage: examples/tools/screenshot-report.sh [OUT_DIR]   (default: docs/)
# The evaluation time is fixed (--as-of) so the picture changes only when the report does.
set -euo pipefail
cd "$(dirname "$0")/../.."
out_dir="${1:-docs}"
as_of="2026-11-20T00:00:00Z"
width=1280

chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium_bin" ]; then
  echo "screenshot-report: chromium is not installed (apt-get install -y chromium)" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build -q -p ward-cli
ward="${CARGO_TARGET_DIR:-target}/debug/ward"
# Exit 1 means the estate has non-compliant resources, as it does on purpose.
"$ward" report --snapshot examples/clinic/estate --as-of "$as_of" --out "$work/report.html" || [ $? -eq 1 ]

# The top of the report: the plain --screenshot takes the first window-full.
"$chromium_bin" --headless --disable-gpu --no-sandbox --hide-scrollbars \
  --user-data-dir="$work/profile" --window-size="$width,1500" \
  --screenshot="$out_dir/report-screenshot.png" "file://$work/report.html" 2>/dev/null
echo "$out_dir/report-screenshot.png"

# A rule further down, with its findings and evidence: over the DevTools protocol, which
# can capture an element wherever it is on the page.
python3 examples/tools/screenshot_element.py "$work/report.html" '#rule-restricted-ssh' \
  "$out_dir/report-screenshot-finding.png" --width "$width" --max-height 1100
