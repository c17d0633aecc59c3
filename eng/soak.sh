#!/usr/bin/env bash
# Soak: N cycles of ./build.sh DindTest, each either left to complete or killed with SIGKILL at a
# random moment, then one ./build.sh Reap; prints how many labelled resources leaked.
# Usage: eng/soak.sh [CYCLES]   (default 50; about 15 s a cycle on a 2-core machine)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cycles=${1:-50}
run_dir=$(mktemp -d /tmp/dindbuild-soak.XXXXXX)
prefix="soak$(date +%s)"
killed=0
completed=0
failed=0

# Only this soak's sessions count: another run's resources are not ours to judge.
count_leaked() {
  local format='{{.Label "org.dindbuild.session"}}' filter="label=org.dindbuild.session"
  { docker ps -a --filter "$filter" --format "$format"
    docker volume ls --filter "$filter" --format "$format"
    docker network ls --filter "$filter" --format "$format"; } | grep -c "^$prefix" || true
}

for cycle in $(seq 1 "$cycles"); do
  session="${prefix}c${cycle}"
  ./build.sh DindTest --session-id "$session" --artifacts-dir "$run_dir/$session" \
    --test-command "echo tests-started; sleep $((RANDOM % 4))" >"$run_dir/$session.log" 2>&1 &
  pid=$!
  if (( RANDOM % 2 )); then
    # Somewhere between Cake's start-up and the end of the run.
    sleep "$((RANDOM % 14)).$((RANDOM % 10))"
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
      wait "$pid" 2>/dev/null
      echo "cycle $cycle: killed ($(grep -o 'Started DinD container\|DinD daemon ready\|Seeded\|Built \|Tests passed\|Exported' "$run_dir/$session.log" | tail -n 1 || echo 'before the daemon'))"
      continue
    fi
  fi
  if wait "$pid"; then completed=$((completed + 1)); else failed=$((failed + 1)); echo "cycle $cycle: failed, see $run_dir/$session.log"; fi
  echo "cycle $cycle: completed"
done

./build.sh Reap >"$run_dir/reap.log" 2>&1 || echo "Reap failed: see $run_dir/reap.log"
leaked=$(count_leaked)
echo "soak: $cycles cycles, $completed completed, $killed killed, $failed failed; leaked resources after Reap: $leaked"
[[ $leaked -eq 0 && $failed -eq 0 ]]
