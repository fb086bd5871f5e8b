#!/usr/bin/env bash
# System packages (Debian): Xvfb and Mesa for the GUI tests' real window, and the X/xcb
# libraries Qt and Blender (bpy) load. Skipped where apt-get is not available.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v apt-get >/dev/null 2>&1 || { echo "no apt-get: install Xvfb and Mesa yourself"; exit 0; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $(cat .ci/apt-packages.txt) >/dev/null
echo "system packages installed"
