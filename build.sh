#!/usr/bin/env bash
# DindBuild bootstrapper: restores the pinned Cake tool, builds the engine when its sources changed,
# then runs build/build.cake. A leading word is the target: './build.sh DindTest' is
# './build.sh --target=DindTest'. Every other argument goes to Cake unchanged.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
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
engine_dir="$root/.dindbuild/engine"
mkdir -p "$root/.dindbuild"

# One bootstrap at a time: parallel runs must not publish over an engine another run has loaded.
# The lock is on the directory itself, so no lock file is left behind, and the kernel drops it when we exit.
exec 9<"$root/.dindbuild"
flock 9

if ! restore_log=$(dotnet tool restore 2>&1); then
  echo "$restore_log" >&2
  echo "build.sh: 'dotnet tool restore' failed; Cake 7 (cake.tool in .config/dotnet-tools.json) is needed." >&2
  exit 1
fi

stamp=$(find src -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.sh' \) -not -path '*/bin/*' -not -path '*/obj/*' -print0 \
  | sort -z | xargs -0 sha256sum | cat - Directory.Build.props Directory.Packages.props global.json | sha256sum | cut -d' ' -f1)
if [[ ! -f "$engine_dir/.stamp" || "$(cat "$engine_dir/.stamp")" != "$stamp" ]]; then
  echo "build.sh: building the engine (src/DindBuild) ..." >&2
  rm -rf "$engine_dir"
  if ! publish_log=$(dotnet publish src/DindBuild/DindBuild.csproj -c Release -o "$engine_dir" --nologo 2>&1); then
    echo "$publish_log" >&2
    echo "build.sh: the engine did not build; see the errors above." >&2
    exit 1
  fi
  echo "$stamp" > "$engine_dir/.stamp"
fi

flock -u 9
exec 9>&-

# Run Cake's own entry assembly: 'dotnet tool run' would put a second process between us and
# Cake, and a SIGTERM sent to this script would not reach the build (and its teardown).
cake_version=$(sed -n '/"cake.tool"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' .config/dotnet-tools.json)
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
exec dotnet tool run dotnet-cake -- build/build.cake "${args[@]}"
