#!/usr/bin/env bash
# DindBuild bootstrapper (from 'dotnet new dindbuild'): restores the pinned Cake tool (build/dotnet-tools.json), then
# runs build/build.cake, which loads the DindBuild recipe package; Cake restores the packages, nothing is built here.
# A leading word is the target: './build.sh DindTest' is './build.sh --target=DindTest'. Every other argument goes to
# Cake unchanged. DindBuild's state (Cake's tools and addins, saved sessions) lives in .dindbuild/, which tells git to
# ignore it and which DindBuild never sends in a build context.
set -euo pipefail

# DINDBUILD_REPOSITORY_ROOT: set by a wrapper script that runs this one from elsewhere (DindBuild's own repository).
# DINDBUILD_SCRIPT_KEY: what else the compiled script depends on (a wrapper's locally built engine), for the cache below.
root="${DINDBUILD_REPOSITORY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
script_key="${DINDBUILD_SCRIPT_KEY:-}"
# Read once: a build that Cake starts (another repository's ./build.sh, a test) must not inherit them.
unset DINDBUILD_REPOSITORY_ROOT DINDBUILD_SCRIPT_KEY
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# DINDBUILD_TRACE_STARTUP=1: a timestamped line on stderr after each thing done before the first target.
trace() { [[ -z "${DINDBUILD_TRACE_STARTUP:-}" ]] || echo "dindbuild-startup: ${EPOCHREALTIME:-$(date +%s.%N)} $*" >&2; }
trace "bootstrapper started"

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
# Cake's own entry assembly, run directly: 'dotnet tool run' would put a second process between us and
# Cake, and a SIGTERM sent to this script would not reach the build (and its teardown).
cake_version=$(sed -n '/"cake.tool"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' "$manifest")
find_cake() {
  local runtime_major candidate framework_major
  runtime_major=$(dotnet --list-runtimes | sed -n 's/^Microsoft.NETCore.App \([0-9]*\)\..*/\1/p' | sort -n | tail -n 1)
  for candidate in $(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}/cake.tool/$cake_version"/tools/net*/any 2>/dev/null | sort -V -r); do
    framework_major=$(basename "$(dirname "$candidate")" | sed 's/^net\([0-9]*\).*/\1/')
    if [[ -n "$runtime_major" && "$framework_major" -le "$runtime_major" && -f "$candidate/Cake.dll" ]]; then
      echo "$candidate/Cake.dll"
      return
    fi
  done
}
cake_dll=$(find_cake)
trace "Cake looked up in the package cache"
# 'dotnet tool restore' (a quarter of a second) only when the pinned Cake is not in the package cache yet: once it
# is, the restore would find it there and do nothing else.
if [[ -z "$cake_dll" ]]; then
  if ! restore_log=$(dotnet tool restore --tool-manifest "$manifest" 2>&1); then
    echo "$restore_log" >&2
    echo "build.sh: 'dotnet tool restore' failed; Cake 7 (cake.tool in $manifest) is needed." >&2
    exit 1
  fi
  cake_dll=$(find_cake)
  trace "Cake restored"
fi
if [[ -n "$cake_dll" ]]; then
  # Compiling build.cake takes seconds on every run; Cake's script cache keeps the compiled script. Cake writes that
  # assembly in place, though, and a run starting meanwhile could load half of it: so the cache is filled once, under
  # the state lock, in a directory named after everything the script is compiled from (Cake, build/*.cake, the
  # wrapper's key), and runs only read it. Your CAKE_SETTINGS_ENABLESCRIPTCACHE or --settings_enablescriptcache wins.
  if [[ -z "${CAKE_SETTINGS_ENABLESCRIPTCACHE:-}${CAKE_PATHS_CACHE:-}" && " ${args[*]-} " != *" --settings_enablescriptcache"* && " ${args[*]-} " != *" --paths_cache"* ]]; then
    key=$( { echo "$cake_dll $script_key"; find build -name '*.cake' -type f -print0 | sort -z | xargs -0 cat; } | sha256sum | cut -c1-16)
    cache="$state/cake/cache/$key"
    if [[ ! -f "$cache/.complete" ]]; then
      exec 8<"$state"
      flock 8
      if [[ ! -f "$cache/.complete" ]]; then
        # Caches of earlier versions of the scripts: a day unused, they go.
        find "$state/cake/cache" -mindepth 1 -maxdepth 1 -type d -mtime +1 -exec rm -rf {} + 2>/dev/null || true
        rm -rf "$cache" && mkdir -p "$cache"
        if DINDBUILD_COMPILE_ONLY=1 dotnet "$cake_dll" build/build.cake --settings_enablescriptcache=true "--paths_cache=$cache" "${args[@]}" >/dev/null 2>&1; then
          touch "$cache/.complete"
        fi
      fi
      flock -u 8
      exec 8>&-
    fi
    if [[ -f "$cache/.complete" ]]; then
      touch "$cache"
      args+=("--settings_enablescriptcache=true" "--paths_cache=$cache")
    fi
  fi
  trace "script cache looked up; starting Cake"
  exec dotnet "$cake_dll" build/build.cake "${args[@]}"
fi
# 'dotnet tool run' finds the manifest from the working directory: build/ holds it.
cd build
exec dotnet tool run dotnet-cake -- build.cake "${args[@]}"
