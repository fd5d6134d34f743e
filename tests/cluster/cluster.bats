#!/usr/bin/env bats
# Scoring across hosts with GNU parallel over ssh (make check-cluster, not
# make test: it needs sshd).  setup_file starts a real sshd on loopback,
# listening on two high ports (two "hosts"), with a throw-away host key and
# user key in a temporary folder (loopback-sshd.bash), and teardown_file
# stops it.  When sshd, ssh or parallel is missing, or sshd
# does not start, every test is skipped with the reason: never passed.

load ../test_helper

. "$BATS_TEST_DIRNAME/loopback-sshd.bash"
JOB_TIMEOUT=300

setup_file() {
	export CLUSTER_DIR="$BATS_FILE_TMPDIR/ssh"
	sshd_start "$CLUSTER_DIR" || true
	export SSHD_SKIP SSHD_PORT1 SSHD_PORT2 SSHD_SSH
}

teardown_file() {
	sshd_stop "$CLUSTER_DIR"
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	if [ -n "$SSHD_SKIP" ]; then
		skip "$SSHD_SKIP"
	fi
	# parallel keeps its state under $HOME; a throw-away one.
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	# The two loopback "hosts", one job slot each.
	HOSTS=(-S "1/$SSHD_SSH -p $SSHD_PORT1 127.0.0.1"
	       -S "1/$SSHD_SSH -p $SSHD_PORT2 127.0.0.1")
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
	grep -q -- "-p $SSHD_PORT1 127.0.0.1" jobs
	grep -q -- "-p $SSHD_PORT2 127.0.0.1" jobs
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
