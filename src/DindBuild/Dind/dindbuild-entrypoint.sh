#!/bin/sh
# DindBuild's DinD entry point: prepares what dockerd needs when the container is not
# --privileged (the "capabilities" profile), then runs dockerd under an init that reaps zombies.
# It does what moby's hack/dind does, plus the cgroup v1 remount that hack/dind leaves to --privileged.
set -eu

say() { echo "dindbuild-entrypoint: $*" >&2; }

# --dindbuild-save-snapshot OUT MARKER: not a start. DindBuild runs this with docker exec at teardown, after a build
# that took long enough to be worth keeping (Images/Snapshots/BuildSnapshotStore.cs): this daemon's data root, with
# its base images, its build cache and the image built, is copied into the volume mounted at OUT, empty until now,
# which the next run of this repository copies in instead of the seed snapshot. The data root is no one's but this
# daemon's; the copy goes into a volume no other daemon runs on. Before it: every container of this daemon goes (the
# tests' and theirs), so none and no layer of one is carried over; networks and volumes are left out by name. The
# engine-id stays in: BuildKit's worker is named after it, and the next daemon must be that worker to use the cache.
# Then dockerd and containerd are frozen (SIGSTOP; teardown's kill follows): with nothing running, nothing is
# mid-write, and a bolt database copied at any instant is one its next opener recovers, as after a crash. The tar
# flags are the seed snapshot copy's (see copy_seed_snapshot below), less the warnings for sockets, which build steps
# leave in layers (dotnet build's MSBuild nodes: no image carries one, docker save drops them too); any other word on
# stderr fails the save, and MARKER,
# whose first line names the volume, is written last: without it the volume is never copied in.
save_build_snapshot() {
	out=$1
	marker=$2
	root=/var/lib/docker
	[ -d "$out" ] && [ -z "$(ls -A "$out")" ] || { say "$out is not an empty snapshot volume"; return 2; }
	tar --version 2>/dev/null | grep -q 'GNU tar' || { say "this image has no GNU tar (another may drop overlay2's xattrs)"; return 3; }
	command -v docker >/dev/null 2>&1 || { say "this image has no docker CLI to remove the containers with"; return 3; }
	ids=$(docker ps -aq) || { say "docker ps failed"; return 4; }
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086 # one word per ID
		docker rm -f -v $ids >/dev/null || { say "could not remove this daemon's containers"; return 4; }
	fi

	set --
	for base in "$root" "$root"/[0-9]*.[0-9]*; do
		[ -d "$base" ] || continue
		for name in containers volumes network tmp runtimes swarm plugins; do
			set -- "$@" "--exclude=.${base#"$root"}/$name"
		done
	done

	pids=
	for proc in /proc/[0-9]*; do
		case "$(cat "$proc/comm" 2>/dev/null)" in
		dockerd | containerd) pids="$pids ${proc#/proc/}" ;;
		esac
	done
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -STOP $pids
	errors=$(mktemp)
	mkdir "$out/docker"
	{ tar -C "$root" --anchored --no-wildcards "$@" --warning=no-file-ignored --xattrs --xattrs-include='*' --numeric-owner -cf - . 2>>"$errors" || echo "tar -c exited $?" >>"$errors"; } |
		tar -C "$out/docker" --xattrs --xattrs-include='*' --numeric-owner --same-owner --same-permissions -xf - 2>>"$errors" ||
		echo "tar -x exited $?" >>"$errors"
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -CONT $pids
	save_errors=$(head -c 2000 "$errors" | tr '\n' ' ')
	rm -f "$errors"
	[ -z "$save_errors" ] || { say "could not copy the data root: $save_errors"; return 5; }
	printf '%s' "$marker" > "$out/complete.part" && mv "$out/complete.part" "$out/complete" || { say "could not write the marker"; return 5; }
	say "saved $(du -sm "$out/docker" | cut -f1) MB of data root into $out"
}

if [ "${1:-}" = "--dindbuild-save-snapshot" ]; then
	save_build_snapshot "$2" "$3"
	exit $?
fi

# AppArmor detection in dockerd reads securityfs.
if [ -d /sys/kernel/security ] && ! mountpoint -q /sys/kernel/security; then
	mount -t securityfs none /sys/kernel/security || say "could not mount securityfs; AppArmor stays off inside"
fi

# A tmpfs /tmp, as hack/dind does.
if ! mountpoint -q /tmp; then
	mount -t tmpfs none /tmp || say "could not mount a tmpfs on /tmp"
fi

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	# cgroup v2: move our processes into a child group so that controllers can be enabled for
	# the inner containers ("no internal processes" rule); retry because processes come and go.
	mkdir -p /sys/fs/cgroup/init
	tries=0
	until {
		xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
		sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control
	}; do
		tries=$((tries + 1))
		[ "$tries" -lt 20 ] || { say "could not enable cgroup v2 controllers"; break; }
		sleep 0.05
	done
else
	# cgroup v1: Docker mounts the hierarchies read-only in a non-privileged container.
	mount -o remount,rw /sys/fs/cgroup 2>/dev/null || :
	for hierarchy in /sys/fs/cgroup/*; do
		[ -d "$hierarchy" ] && [ ! -L "$hierarchy" ] || continue
		mountpoint -q "$hierarchy" || continue
		mount -o remount,bind,rw "$hierarchy" 2>/dev/null \
			|| mount -o remount,rw "$hierarchy" 2>/dev/null \
			|| say "could not make $hierarchy writable"
	done
fi

# Inner containers in a user namespace (dockerd --userns-remap): the kernel lets runc mount a fresh
# procfs or sysfs there only if this mount namespace already shows one whole ("mount_too_revealing"),
# and Docker's masked and read-only paths cover ours in part. So a whole procfs (read-write, as runc
# mounts its own) and a read-only sysfs go here, where no inner container sees them; /proc and /sys
# keep their masks. Root here could mount these itself (it holds CAP_SYS_ADMIN): no power is added.
if [ -n "${DINDBUILD_INNER_USERNS:-}" ]; then
	mkdir -p /run/dindbuild-userns/proc /run/dindbuild-userns/sys
	chmod 700 /run/dindbuild-userns
	mountpoint -q /run/dindbuild-userns/proc || mount -t proc -o nosuid,nodev,noexec proc /run/dindbuild-userns/proc \
		|| say "could not mount a whole procfs: containers in a user namespace will not start"
	mountpoint -q /run/dindbuild-userns/sys || mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /run/dindbuild-userns/sys \
		|| say "could not mount a whole sysfs: containers in a user namespace will not start"
fi

mount --make-rshared / 2>/dev/null || say "could not make / rshared"

# A daemon killed earlier on this data root leaves pid files that stop the next one from starting.
find /run /var/run -maxdepth 3 \( -name 'docker*.pid' -o -name 'containerd*.pid' \) -delete 2>/dev/null || :

# containerd started here, not by dockerd: a dockerd that starts its own dials it at once, finds no socket yet, and
# gRPC's reconnect backoff (1 s) holds its start that long (measured: ready 2.2 s managed, 1.4 s this way). Started
# now, it boots while the seed snapshot is copied and the certificates are made; dockerd gets --containerd once its
# socket answers. Its root is beside its state under /var/run, not in the data root: dockerd keeps nothing there
# that a later start needs, and the seed snapshot's copy needs /var/lib/docker empty. DindBuild asks for this
# (DINDBUILD_OWN_CONTAINERD) unless the daemon arguments name a containerd; if it fails, dockerd starts its own.
containerd_pid=
containerd_socket=/var/run/docker/containerd/containerd.sock
if [ -n "${DINDBUILD_OWN_CONTAINERD:-}" ] && command -v containerd >/dev/null 2>&1; then
	mkdir -p /var/run/docker/containerd
	cat > /var/run/docker/containerd/dindbuild-containerd.toml <<-TOML
	version = 2
	disabled_plugins = ["io.containerd.grpc.v1.cri"]
	root = "/var/run/docker/containerd/root"
	state = "/var/run/docker/containerd/daemon"
	[grpc]
	  address = "$containerd_socket"
	TOML
	containerd --config /var/run/docker/containerd/dindbuild-containerd.toml &
	containerd_pid=$!
fi

# A seed snapshot (DindBuild's prepared data root holding just the run's base images, see Images/Snapshots): mounted
# read-only, copied into this daemon's own data root, never used in place — no two daemons share a writable data
# root. It is the whole data root a cleanly stopped dockerd left (with --userns-remap its images are under
# UID.GID/), less engine-id, so that each daemon gets its own ID. The copy must keep what overlay2 layers are made
# of: whiteouts (0/0 character devices), opaque directories (trusted.overlay.* xattrs), hard links, numeric owners,
# modes. GNU tar does, with every xattr asked for on both sides; it only warns when it cannot set one, so any word on
# its stderr fails the copy. It is the first choice because it is faster: a 270 MB data root of 8400 files took
# 0.45 s through a tar pipe and 1.05 s with GNU cp into the tmpfs data root (measured here, issue 17). GNU cp with
# xattr named in --preserve (it fails when an xattr cannot be kept) is the second; an image with neither (busybox)
# is not trusted with the layers, and the daemon starts empty: SeedImages copies. Done before the TLS wait, while
# DindBuild makes the certificates.
copy_seed_snapshot() {
	from=$1
	errors=$(mktemp)
	if tar --version 2>/dev/null | grep -q 'GNU tar'; then
		{ tar -C "$from" --xattrs --xattrs-include='*' --numeric-owner -cf - . 2>>"$errors" || echo "tar -c exited $?" >>"$errors"; } |
			tar -C /var/lib/docker --xattrs --xattrs-include='*' --numeric-owner --same-owner --same-permissions -xf - 2>>"$errors" ||
			echo "tar -x exited $?" >>"$errors"
	elif cp --version 2>/dev/null | grep -q 'GNU coreutils'; then
		cp -dR --preserve=mode,ownership,timestamps,links,xattr "$from/." /var/lib/docker/ 2>>"$errors" || echo "cp exited $?" >>"$errors"
	else
		echo "this image has neither GNU tar nor GNU cp (another tar or cp may drop overlay2's xattrs)" >>"$errors"
	fi

	copy_errors=$(head -c 2000 "$errors" | tr '\n' ' ')
	rm -f "$errors"
	[ -z "$copy_errors" ]
}

if [ -n "${DINDBUILD_SEED_SNAPSHOT:-}" ]; then
	if [ ! -e "$DINDBUILD_SEED_SNAPSHOT/complete" ]; then
		say "the seed snapshot in $DINDBUILD_SEED_SNAPSHOT is not complete; starting without it"
	elif [ -n "$(ls -A /var/lib/docker 2>/dev/null)" ]; then
		say "/var/lib/docker is not empty; the seed snapshot is not copied over it"
	elif copy_seed_snapshot "$DINDBUILD_SEED_SNAPSHOT/docker"; then
		# A build snapshot keeps its engine-id: dockerd names BuildKit's worker after it, and cache records of another
		# worker are never matched (measured: every step ran again without it). A seed snapshot holds no build cache.
		[ -n "${DINDBUILD_KEEP_ENGINE_ID:-}" ] || find /var/lib/docker -maxdepth 2 -name engine-id -type f -delete
		say "copied the seed snapshot $(head -n 1 "$DINDBUILD_SEED_SNAPSHOT/complete") into /var/lib/docker"
	else
		say "could not copy the seed snapshot ($copy_errors); starting without it"
		find /var/lib/docker -mindepth 1 -maxdepth 1 -exec rm -rf {} +
	fi
fi

# With TLS on, DindBuild writes the server certificate once the container's addresses are known
# (they are its subject alternative names); dockerd must not start before it is there.
if [ -n "${DINDBUILD_TLS_DIR:-}" ]; then
	waited=0
	until [ -e "$DINDBUILD_TLS_DIR/ready" ]; do
		waited=$((waited + 1))
		[ "$waited" -lt 15000 ] || { say "no server certificate in $DINDBUILD_TLS_DIR after 30 s"; exit 1; }
		sleep 0.002
	done
fi

# Extra CAs (--extra-ca-cert, --trust-host-ca) for the daemon's pulls and BuildKit's: Go's crypto/x509 reads
# the first default bundle file it finds and then every file in each SSL_CERT_DIR directory, so naming the
# directory that holds only DindBuild's bundle adds to the system store instead of replacing it; Go's own
# default directories follow, as they would without the variable.
if [ -n "${DINDBUILD_CA_DIR:-}" ]; then
	export SSL_CERT_DIR="$DINDBUILD_CA_DIR:/etc/ssl/certs:/etc/pki/tls/certs"
	say "trusting the extra CA certificates in $DINDBUILD_CA_DIR (SSL_CERT_DIR=$SSL_CERT_DIR)"
fi

# Per-registry CAs (--registry-ca HOST=FILE): dockerd reads /etc/docker/certs.d/HOST/ca.crt at each pull and push
# of that registry and has no flag to look elsewhere, so DindBuild's copies go there; the image's own entries stay.
if [ -n "${DINDBUILD_CERTS_D:-}" ]; then
	mkdir -p /etc/docker/certs.d
	cp -R "$DINDBUILD_CERTS_D/." /etc/docker/certs.d/ || { say "could not install the registry CAs into /etc/docker/certs.d"; exit 1; }
	say "trusting per-registry CAs in /etc/docker/certs.d: $(ls "$DINDBUILD_CERTS_D" | tr '\n' ' ')"
fi

if [ -n "$containerd_pid" ]; then
	waited=0
	until [ -S "$containerd_socket" ]; do
		waited=$((waited + 1))
		if ! kill -0 "$containerd_pid" 2>/dev/null || [ "$waited" -ge 5000 ]; then
			say "containerd did not start (its log is above); dockerd starts its own"
			kill "$containerd_pid" 2>/dev/null || :
			containerd_pid=
			break
		fi
		sleep 0.002
	done
	if [ -n "$containerd_pid" ]; then
		say "containerd is up (pid $containerd_pid); dockerd uses it"
		set -- "--containerd=$containerd_socket" "$@"
	fi
fi

if command -v docker-init >/dev/null 2>&1; then
	exec docker-init -- dockerd "$@"
elif command -v tini >/dev/null 2>&1; then
	exec tini -- dockerd "$@"
fi
exec dockerd "$@"
