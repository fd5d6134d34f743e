#!/usr/bin/env bats
# Scoring across hosts with GNU parallel over ssh (make check-cluster, not
# make test: it needs sshd).  setup_file starts a real sshd on loopback,
# listening on two high ports (two "hosts"), with a throw-away host key and
# user key in a temporary folder; no system configuration is touched, and
# teardown_file stops it.  When sshd, ssh or parallel is missing, or sshd
# does not start, every test is skipped with the reason: never passed.

load ../test_helper

# Every wait is bounded: CI has no stdin and must not hang.
SSHD_WAIT=10
JOB_TIMEOUT=300

setup_file() {
	local dir="$BATS_FILE_TMPDIR/ssh" try port1 port2 i

	export CLUSTER_DIR="$dir" CLUSTER_SKIP=""
	mkdir -p "$dir"
	for tool in /usr/sbin/sshd ssh ssh-keygen parallel timeout; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			CLUSTER_SKIP="$tool is not installed"
			return 0
		fi
	done
	ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" </dev/null &&
	ssh-keygen -q -t ed25519 -N '' -f "$dir/user_key" </dev/null ||
		{ CLUSTER_SKIP="ssh-keygen failed"; return 0; }
	cp "$dir/user_key.pub" "$dir/authorized_keys"
	# As root, sshd needs its privilege separation directory, which a
	# container may lack: made here, and removed again at the end.
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -m 755 /run/sshd && touch "$dir/made_run_sshd"
	fi
	for try in 1 2 3 4 5; do
		port1=$((20000 + RANDOM % 20000))
		port2=$((port1 + 1))
		cat >"$dir/sshd_config" <<-EOF
			Port $port1
			Port $port2
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
		EOF
		rm -f "$dir/sshd.log" "$dir/sshd.pid"
		/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" \
			</dev/null >/dev/null 2>&1 3>&-
		for i in $(seq $((SSHD_WAIT * 10))); do
			[ "$(grep -c 'Server listening' "$dir/sshd.log" 2>/dev/null)" = 2 ] &&
				break
			grep -q 'Bind to port\|fatal\|Missing' "$dir/sshd.log" 2>/dev/null &&
				break
			sleep 0.1
		done
		[ "$(grep -c 'Server listening' "$dir/sshd.log" 2>/dev/null)" = 2 ] &&
			break
		[ -s "$dir/sshd.pid" ] && kill "$(cat "$dir/sshd.pid")" 2>/dev/null
	done
	if [ "$(grep -c 'Server listening' "$dir/sshd.log" 2>/dev/null)" != 2 ]; then
		CLUSTER_SKIP="sshd did not start: $(tr '\n' ' ' <"$dir/sshd.log" 2>/dev/null)"
		return 0
	fi
	# One ssh command for both hosts: the throw-away key, no user or
	# system ssh configuration, no prompt, bounded waits.
	cat >"$dir/ssh" <<-EOF
		#!/bin/sh
		exec ssh -F /dev/null -i "$dir/user_key" -o BatchMode=yes \\
		    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \\
		    -o LogLevel=ERROR -o ConnectTimeout=$SSHD_WAIT "\$@"
	EOF
	chmod +x "$dir/ssh"
	if ! timeout "$SSHD_WAIT" "$dir/ssh" -p "$port1" 127.0.0.1 true </dev/null \
		>"$dir/login.log" 2>&1; then
		CLUSTER_SKIP="ssh to 127.0.0.1:$port1 failed: $(tr '\n' ' ' <"$dir/login.log")"
		return 0
	fi
	export CLUSTER_PORT1=$port1 CLUSTER_PORT2=$port2
}

teardown_file() {
	local dir="$CLUSTER_DIR"

	if [ -s "$dir/sshd.pid" ]; then
		kill "$(cat "$dir/sshd.pid")" 2>/dev/null
	fi
	if [ -e "$dir/made_run_sshd" ]; then
		rmdir /run/sshd 2>/dev/null
	fi
	return 0
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	if [ -n "$CLUSTER_SKIP" ]; then
		skip "$CLUSTER_SKIP"
	fi
	# parallel keeps its state under $HOME; a throw-away one.
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	# The two loopback "hosts", one job slot each.
	HOSTS=(-S "1/$CLUSTER_DIR/ssh -p $CLUSTER_PORT1 127.0.0.1"
	       -S "1/$CLUSTER_DIR/ssh -p $CLUSTER_PORT2 127.0.0.1")
}


@test "cluster: parallel --pipe over two ssh hosts gives the rows of one ifscore run" {
	local model ifscore cols
	model=$(shipped_model)
	ifscore=$(command -v ifscore)
	sensorgen -n 20000 -k burst,spike,drift >in.tsv
	cols=$(head -1 in.tsv | tr '\t' ',')
	ifscore -m "$model" in.tsv | tail -n +2 | sort >want
	tail -n +2 in.tsv | timeout "$JOB_TIMEOUT" parallel --will-cite --pipe \
		--block 100k --joblog jobs "${HOSTS[@]}" \
		"$ifscore --columns $cols -m $model" 2>err | sort >got
	[ ! -s err ]
	[ "$(wc -l <got)" -eq 20000 ]
	cmp want got
	# Both hosts took blocks.
	grep -q -- "-p $CLUSTER_PORT1 127.0.0.1" jobs
	grep -q -- "-p $CLUSTER_PORT2 127.0.0.1" jobs
}

@test "cluster: bad rows on a host are reported; --bad-rows-ok keeps the job's status 0" {
	local model ifscore cols
	model=$(shipped_model)
	ifscore=$(command -v ifscore)
	cols=temperature,humidity,sound,label
	printf '50\t60\t70\t0\n5x\t60\t70\t0\n' >in.tsv
	run_split timeout "$JOB_TIMEOUT" parallel --will-cite --pipe "${HOSTS[@]}" \
		"$ifscore --columns $cols -m $model" <in.tsv
	# parallel's status: the number of jobs that failed.
	[ "$status" -eq 1 ]
	[[ $err == *"ifscore: -:2: field 'temperature': invalid number '5x'"* ]]
	run_split timeout "$JOB_TIMEOUT" parallel --will-cite --pipe "${HOSTS[@]}" \
		"$ifscore --bad-rows-ok --columns $cols -m $model" <in.tsv
	[ "$status" -eq 0 ]
	[ "${out##*$'\t'}" = error ]
	[ "$err" = "ifscore: -:2: field 'temperature': invalid number '5x'" ]
}
