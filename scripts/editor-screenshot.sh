#!/usr/bin/env bash
# Opens a plugin's editor in a real window on a virtual X display (Xvfb)
# and saves a screenshot of it: the effect's, with the default instrument
# following a sung phrase (docs/editor.png unless a path is given), or with
# --synth the synth's, playing a chord (docs/synth-editor.png).
#
#   bash scripts/editor-screenshot.sh [--synth] [OUT.png]
#
# Needs Xvfb, ImageMagick and Mesa's software OpenGL (installed here with
# apt when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
package=ddsp-plugin
example=editor_preview
size=820x640
out=docs/editor.png
if [ "${1:-}" = "--synth" ]; then
  shift
  package=ddsp-synth
  example=synth_editor_preview
  size=700x540
  out=docs/synth-editor.png
fi
out="${1:-$out}"

need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v import >/dev/null || need+=(imagemagick)
[ -e /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so ] || need+=(libgl1-mesa-dri libglx-mesa0)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

cargo build --release -p "$package" --example "$example"
display=":93"
# The screen is the editor's size: with no window manager the window
# opens at the top left and fills it.
Xvfb "$display" -screen 0 "${size}x24" -nolisten tcp &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
# Mesa's software renderer: Xvfb has no GPU.
DISPLAY="$display" LIBGL_ALWAYS_SOFTWARE=1 "target/release/examples/$example" 8 &
preview=$!
sleep 6
mkdir -p "$(dirname "$out")"
DISPLAY="$display" import -window root "$out"
wait $preview || true
echo "wrote $out"
