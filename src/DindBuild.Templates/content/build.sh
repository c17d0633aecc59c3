#!/usr/bin/env bash
# DindBuild bootstrapper (from 'dotnet new dindbuild'): restores the pinned Cake tool (build/dotnet-tools.json), then
# runs build/build.cake, which loads the DindBuild recipe package; Cake restores the packages, nothing is built here.
# A leading word is the target: './build.sh DindTest' is './build.sh --target=DindTest'. Every other argument goes to
# Cake unchanged. DindBuild's state (Cake's tools and addins, saved sessions) lives in .dindbuild/, which tells git to
# ignore it and which DindBuild never sends in a build context.
set -euo pipefail

# DINDBUILD_REPOSITORY_ROOT: set by a wrapper script that runs this one from elsewhere (DindBuild's own repository).
root="${DINDBUILD_REPOSITORY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
# Read once: a build that Cake starts (another repository's ./build.sh, a test) must not inherit it.
unset DINDBUILD_REPOSITORY_ROOT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

args=()
if [[ $# -gt 0 && "$1" != -* ]]; then
  args+=("--target=$1")
  shift
fi
for arg in "$@"; do
  # Our help (targets and every parameter), not Cake's own usage text.
  case "$arg" in
    --help|-h) args+=("--target=Help") ;;
    *) args+=("$arg") ;;
  esac
done

cd "$root"
state="$root/.dindbuild"
mkdir -p "$state"
[[ -f "$state/.gitignore" ]] || printf '# DindBuild state: never committed.\n*\n' > "$state/.gitignore"
# Cake's packages (the recipe, the engine and its dependencies) go there too, not into build/tools/. Given as Cake
# options, not exported, so that builds Cake starts keep their own; CAKE_PATHS_* or --paths_* of yours win.
for kind in tools addins modules; do
  variable="CAKE_PATHS_${kind^^}"
  if [[ -z "${!variable:-}" && " ${args[*]-} " != *" --paths_$kind"* ]]; then
    args+=("--paths_$kind=$state/cake/$kind")
  fi
done

manifest=build/dotnet-tools.json
if ! restore_log=$(dotnet tool restore --tool-manifest "$manifest" 2>&1); then
  echo "$restore_log" >&2
  echo "build.sh: 'dotnet tool restore' failed; Cake 7 (cake.tool in $manifest) is needed." >&2
  exit 1
fi

# Run Cake's own entry assembly: 'dotnet tool run' would put a second process between us and
# Cake, and a SIGTERM sent to this script would not reach the build (and its teardown).
cake_version=$(sed -n '/"cake.tool"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' "$manifest")
runtime_major=$(dotnet --list-runtimes | sed -n 's/^Microsoft.NETCore.App \([0-9]*\)\..*/\1/p' | sort -n | tail -n 1)
cake_dll=""
for candidate in $(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}/cake.tool/$cake_version"/tools/net*/any 2>/dev/null | sort -V -r); do
  framework_major=$(basename "$(dirname "$candidate")" | sed 's/^net\([0-9]*\).*/\1/')
  if [[ -n "$runtime_major" && "$framework_major" -le "$runtime_major" && -f "$candidate/Cake.dll" ]]; then
    cake_dll="$candidate/Cake.dll"
    break
  fi
done
if [[ -n "$cake_dll" ]]; then
  exec dotnet "$cake_dll" build/build.cake "${args[@]}"
fi
# 'dotnet tool run' finds the manifest from the working directory: build/ holds it.
cd build
exec dotnet tool run dotnet-cake -- build.cake "${args[@]}"
