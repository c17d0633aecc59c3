#!/usr/bin/env bash
# DindBuild's own bootstrapper: builds the engine (src/DindBuild) into .dindbuild/engine when its sources changed, then
# runs the bootstrapper every team gets from 'dotnet new dindbuild' (src/DindBuild.Templates/content/build.sh) on this
# repository: it restores Cake and runs build/build.cake, which loads the recipe from source. Arguments as there:
# a leading word is the target ('./build.sh DindTest'), everything else goes to Cake.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# DINDBUILD_TRACE_STARTUP=1: a timestamped line on stderr after each thing done before the first target (the benchmark
# breaks start-up down with them); the bootstrapper below and the recipe add theirs.
trace() { [[ -z "${DINDBUILD_TRACE_STARTUP:-}" ]] || echo "dindbuild-startup: ${EPOCHREALTIME:-$(date +%s.%N)} $*" >&2; }
trace "build.sh started"

cd "$root"
engine_dir="$root/.dindbuild/engine"
mkdir -p "$root/.dindbuild"

# One bootstrap at a time: parallel runs must not publish over an engine another run has loaded.
# The lock is on the directory itself, so no lock file is left behind, and the kernel drops it when we exit.
exec 9<"$root/.dindbuild"
flock 9

# The engine's fingerprint covers DindBuild's own sources only: the engine, the recipe, the props and global.json
# that build them. Editing samples/, tests/, bench/ or the docs rebuilds nothing.
stamp=$(find src/DindBuild src/DindBuild.Cake -type f -not -path '*/bin/*' -not -path '*/obj/*' -print0 \
  | sort -z | xargs -0 sha256sum | cat - Directory.Build.props Directory.Packages.props src/Directory.Build.props global.json | sha256sum | cut -d' ' -f1)
if [[ ! -f "$engine_dir/.stamp" || "$(cat "$engine_dir/.stamp")" != "$stamp" ]]; then
  echo "build.sh: building the engine (src/DindBuild) ..." >&2
  rm -rf "$engine_dir"
  # MinVerSkip: this engine is for this checkout's own runs and needs no release version; MinVer would ask git
  # for one, and a CI job container (or a source archive) may have no git at all. Pack versions the packages.
  if ! publish_log=$(dotnet publish src/DindBuild/DindBuild.csproj -c Release -o "$engine_dir" --nologo -p:MinVerSkip=true 2>&1); then
    echo "$publish_log" >&2
    echo "build.sh: the engine did not build; see the errors above." >&2
    exit 1
  fi
  echo "$stamp" > "$engine_dir/.stamp"
fi
trace "engine freshness checked"

flock -u 9
exec 9>&-

# The script references the engine built above by path: its compiled form in Cake's cache is keyed by the engine too.
DINDBUILD_REPOSITORY_ROOT="$root" DINDBUILD_SCRIPT_KEY="$stamp" exec "$root/src/DindBuild.Templates/content/build.sh" "$@"
