# shellcheck shell=bash
# A throw-away sshd on loopback, for make check-cluster and the cluster
# benchmark; sourced, not run.  It listens on 127.0.0.1 on two high ports,
# two "hosts" for GNU parallel -S, with a host key and a user key made in
# the caller's folder; no system configuration is read or changed (as root,
# the privilege separation directory /run/sshd is made when missing, and
# removed again by sshd_stop).  Every wait is bounded.
#
#	sshd_start DIR    sets SSHD_PORT1, SSHD_PORT2 and SSHD_SSH (an ssh
#	                  command for both), or SSHD_SKIP (why not) and
#	                  returns 1
#	sshd_stop DIR

SSHD_WAIT=${SSHD_WAIT:-10}

# How many ports the sshd logging to $1 listens on.
sshd_listening() {
	grep -c 'Server listening' "$1" 2>/dev/null || true
}

# Start sshd with the configuration in $1/sshd_config; 0 when it listens
# on both ports within SSHD_WAIT seconds.
sshd_try() {
	local dir=$1 i

	rm -f "$dir/sshd.log" "$dir/sshd.pid"
	/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" \
		</dev/null >/dev/null 2>&1 3>&- 4>&- || true
	for i in $(seq $((SSHD_WAIT * 10))); do
		[ "$(sshd_listening "$dir/sshd.log")" = 2 ] && return 0
		grep -q 'Bind to port\|fatal\|Missing\|error' "$dir/sshd.log" 2>/dev/null &&
			break
		sleep 0.1
	done
	[ -s "$dir/sshd.pid" ] && kill "$(cat "$dir/sshd.pid")" 2>/dev/null
	return 1
}

sshd_start() {
	local dir=$1 tool try

	SSHD_SKIP=""
	for tool in /usr/sbin/sshd ssh ssh-keygen parallel timeout; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			SSHD_SKIP="$tool is not installed"
			return 1
		fi
	done
	mkdir -p "$dir"
	rm -f "$dir/host_key" "$dir/user_key"
	if ! ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" </dev/null ||
		! ssh-keygen -q -t ed25519 -N '' -f "$dir/user_key" </dev/null; then
		SSHD_SKIP="ssh-keygen failed"
		return 1
	fi
	cp "$dir/user_key.pub" "$dir/authorized_keys"
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -m 755 /run/sshd && touch "$dir/made_run_sshd"
	fi
	for try in 1 2 3 4 5; do
		SSHD_PORT1=$((20000 + RANDOM % 20000))
		SSHD_PORT2=$((SSHD_PORT1 + 1))
		cat >"$dir/sshd_config" <<-EOF
			Port $SSHD_PORT1
			Port $SSHD_PORT2
			ListenAddress 127.0.0.1
			HostKey $dir/host_key
			AuthorizedKeysFile $dir/authorized_keys
			PidFile $dir/sshd.pid
			StrictModes no
			UsePAM no
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			PermitRootLogin prohibit-password
			PrintMotd no
			MaxStartups 64
		EOF
		sshd_try "$dir" && break
	done
	if [ "$(sshd_listening "$dir/sshd.log")" != 2 ]; then
		SSHD_SKIP="sshd did not start: $(tr '\n' ' ' <"$dir/sshd.log" 2>/dev/null)"
		return 1
	fi
	# The throw-away key, no user or system ssh configuration, no prompt.
	SSHD_SSH=$dir/ssh
	cat >"$SSHD_SSH" <<-EOF
		#!/bin/sh
		exec ssh -F /dev/null -i "$dir/user_key" -o BatchMode=yes \\
		    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \\
		    -o LogLevel=ERROR -o ConnectTimeout=$SSHD_WAIT "\$@"
	EOF
	chmod +x "$SSHD_SSH"
	if ! timeout "$SSHD_WAIT" "$SSHD_SSH" -p "$SSHD_PORT1" 127.0.0.1 true \
		</dev/null >"$dir/login.log" 2>&1; then
		SSHD_SKIP="ssh to 127.0.0.1:$SSHD_PORT1 failed: $(tr '\n' ' ' <"$dir/login.log")"
		sshd_stop "$dir"
		return 1
	fi
	return 0
}

sshd_stop() {
	local dir=$1

	if [ -s "$dir/sshd.pid" ]; then
		kill "$(cat "$dir/sshd.pid")" 2>/dev/null
		rm -f "$dir/sshd.pid"
	fi
	if [ -e "$dir/made_run_sshd" ]; then
		rmdir /run/sshd 2>/dev/null
		rm -f "$dir/made_run_sshd"
	fi
	return 0
}
