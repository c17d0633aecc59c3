#!/usr/bin/env bash
# Soak: N randomized cycles of ./build.sh, then one ./build.sh Reap; prints what was left behind.
# Each cycle is one of:
#   - DindTest left to complete (a quarter of them on a shared cache volume, so its lock is exercised);
#   - DindTest signalled (KILL, TERM or INT) at a random moment, or the moment the DinD container's
#     create is sent ("Creating DinD container");
#   - step by step: StartDaemon (signalled or not), then the "always" Teardown, which must exit 0.
# A run stopped by TERM or INT must have torn down itself: what it left before the Reap is counted apart.
# After the Reap nothing of this soak may be left: labelled containers (sessions and cache locks),
# volumes, networks, private directories ($TMPDIR/dindbuild-*), docker contexts (dindbuild-*), lock
# files, saved sessions.
# Usage: eng/soak.sh [CYCLES]   (default 50; about 15 s a cycle on a 2-core machine)
set -uo pipefail
# Job control: without it, bash starts background jobs with SIGINT ignored, and the INT cycles would signal nothing.
set -m
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cycles=${1:-50}
tmp=${TMPDIR:-/tmp}
tmp=${tmp%/}
run_dir=$(mktemp -d "$tmp/dindbuild-soak.XXXXXX")
prefix="soak$(date +%s)"
cache="dindbuild-$prefix-cache"
since="$run_dir/started"
touch "$since"
declare -A count=([completed]=0 [KILL]=0 [TERM]=0 [INT]=0 [at-create]=0 [steps]=0 [failed]=0 [left-by-signalled]=0)
started_at=$(date +%s)

# Everything of this soak still on the engine, in the temp directory, the context store or the checkout.
leftovers() {
  local session='{{.Label "org.dindbuild.session"}}' filter="label=org.dindbuild.session"
  { docker ps -a --filter "$filter" --format "container $session"
    docker volume ls --filter "$filter" --format "volume $session"
    docker network ls --filter "$filter" --format "network $session"; } | grep " $prefix" || true
  docker ps -a --filter "label=org.dindbuild.cache-lock=$cache" --format 'cache-lock {{.Names}}'
  ls -d "$tmp/dindbuild-$prefix"* 2>/dev/null | sed 's/^/directory /'
  docker context ls --format '{{.Name}}' | grep "^dindbuild-$prefix" | sed 's/^/context /'
  ls .dindbuild/sessions/"$prefix"*.json 2>/dev/null | sed 's/^/saved-session /'
  { find "$tmp" -maxdepth 1 -name "dindbuild-*$prefix*.lock"
    find .dindbuild "$run_dir" -name '*.lock'; } 2>/dev/null | sed 's/^/lock-file /'
}

# What one session left right after its run ended (a TERM or INT run must have removed everything).
left_by() {
  local filter="label=org.dindbuild.session=$1"
  { docker ps -aq --filter "$filter"; docker volume ls -q --filter "$filter"; docker network ls -q --filter "$filter"
    ls -d "$tmp/dindbuild-$1" .dindbuild/sessions/"$1".json 2>/dev/null; } | wc -l
}

# Starts ./build.sh in the background; $pid, $log.
start() {
  log="$run_dir/$session.$1.log"
  ./build.sh "$@" --session-id "$session" --artifacts-dir "$run_dir/$session" >"$log" 2>&1 &
  pid=$!
}

# Sends $1 to $pid, at once when "$2" is "create" (as soon as the DinD container's create is sent), else after a random delay.
signal() {
  if [[ $2 == create ]]; then
    until grep -q 'Creating DinD container' "$log" 2>/dev/null; do
      kill -0 "$pid" 2>/dev/null || return 1
      sleep 0.02
    done
  else
    sleep "$((RANDOM % 14)).$((RANDOM % 10))"
  fi
  kill -0 "$pid" 2>/dev/null && kill "-$1" "$pid" 2>/dev/null
}

fail() { count[failed]=$((count[failed] + 1)); echo "cycle $cycle: FAILED: $1 (see $log)"; }

for cycle in $(seq 1 "$cycles"); do
  session="${prefix}c${cycle}"
  signals=(KILL TERM INT)
  sig=${signals[RANDOM % 3]}
  when=$([[ $((RANDOM % 2)) -eq 0 ]] && echo create || echo random)
  case $((RANDOM % 6)) in
    0|1)
      extra=()
      (( RANDOM % 2 )) && extra=(--cache-volume "$cache" --cache-wait 5s)
      start DindTest --test-command "echo tests-started; sleep $((RANDOM % 4))" --test-report optional "${extra[@]}"
      if wait "$pid"; then count[completed]=$((count[completed] + 1)); echo "cycle $cycle: completed ${extra[*]}"; else fail "DindTest exited $?"; fi
      ;;
    2|3|4)
      start DindTest --test-command "echo tests-started; sleep $((RANDOM % 4))" --test-report optional
      if signal "$sig" "$when"; then
        wait "$pid"; code=$?
        count[$sig]=$((count[$sig] + 1))
        [[ $when == create ]] && count[at-create]=$((count[at-create] + 1))
        # The last step reached before the signal was noticed (a KILL is never noticed: the whole log).
        reached=$(sed '/received: stopping/q' "$log" | grep -o 'Creating DinD container\|Started DinD container\|DinD daemon ready\|The Dockerfile needs\|build │ Step\|tests-started\|Exported\|Teardown removed' | tail -n 1)
        echo "cycle $cycle: $sig ($when) after '${reached:-start-up}', exit $code"
        if [[ $sig != KILL ]]; then
          [[ $code == 0 || $code == 130 || $code == 143 ]] || fail "a $sig run exited $code"
          left=$(left_by "$session")
          (( left == 0 )) || { count[left-by-signalled]=$((count[left-by-signalled] + left)); fail "a $sig run left $left resource(s)"; }
        fi
      else
        wait "$pid" && count[completed]=$((count[completed] + 1)) || fail "DindTest exited before the signal"
        echo "cycle $cycle: completed before the signal"
      fi
      ;;
    5)
      count[steps]=$((count[steps] + 1))
      start StartDaemon
      if (( RANDOM % 2 )) && signal "$sig" "$when"; then
        count[$sig]=$((count[$sig] + 1))
        [[ $when == create ]] && count[at-create]=$((count[at-create] + 1))
      fi
      wait "$pid"; code=$?
      # The "always" step: by name, or (half of the time) every saved session of the checkout.
      teardown=(Teardown --artifacts-dir "$run_dir/$session")
      (( RANDOM % 2 )) && teardown+=(--session-id "$session")
      log="$run_dir/$session.teardown.log"
      ./build.sh "${teardown[@]}" >"$log" 2>&1 || fail "the always Teardown exited $?"
      echo "cycle $cycle: step by step, StartDaemon exit $code, Teardown ${teardown[*]:3}"
      ;;
  esac
done

log="$run_dir/reap.log"
./build.sh Reap --artifacts-dir "$run_dir/reap" >"$log" 2>&1 || fail "Reap exited $?"
left=$(leftovers)
leaked=$(grep -c . <<<"$left")
docker volume rm -f "$cache" >/dev/null 2>&1
echo "$left" | sed '/^$/d; s/^/left: /'
echo "soak: $cycles cycles in $(( $(date +%s) - started_at )) s: ${count[completed]} completed, ${count[KILL]} KILL, ${count[TERM]} TERM, ${count[INT]} INT (${count[at-create]} at the DinD container's create), ${count[steps]} step by step; ${count[failed]} failed; left by TERM/INT runs before Reap: ${count[left-by-signalled]}; left after Reap: $leaked"
[[ $leaked -eq 0 && ${count[failed]} -eq 0 ]] || exit 1
rm -rf "$run_dir"
