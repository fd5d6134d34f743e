#!/usr/bin/env bats
# Whole pipelines: sensorgen | iftrain, sensorgen | ifscore [| ifstat],
# JSON Lines, and pipes that close early.

load test_helper

# The model of the README: sensorgen --classic | iftrain -c 0.05.
classic_model() {
	local model="$BATS_FILE_TMPDIR/classic.if"
	[ -s "$model" ] || sensorgen --classic | iftrain -c 0.05 -o "$model"
	echo "$model"
}

@test "pipeline: sensorgen --classic is the shipped data" {
	sensorgen --classic | cmp - "$DATA/sensor_data.tsv"
}

@test "pipeline: sensorgen --classic | iftrain -c 0.05, then | ifscore | grep -c anomaly gives 53" {
	run_split bash -c 'sensorgen --classic | iftrain -f temperature,humidity,sound -c 0.05 -o m.if &&
	    sensorgen --classic | ifscore -m m.if | grep -c anomaly'
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = 53 ]
	# The same model as training on the shipped file.
	iftrain -c 0.05 "$DATA/sensor_data.tsv" | cmp - m.if
}

@test "pipeline: iftrain -v in a pipe reports 53 anomalies" {
	run_split bash -c 'sensorgen --classic | iftrain -c 0.05 -v >/dev/null'
	[ "$status" -eq 0 ]
	[[ "$err" == *"iftrain: Normal: 997, Anomalies: 53, Anomaly Ratio: 5.05%" ]]
}

@test "pipeline: sensorgen -n 2000 --seed 7 | ifscore passes the time column through" {
	model="$(classic_model)"
	sensorgen -n 2000 --seed 7 >in.tsv
	run_split bash -c 'sensorgen -n 2000 --seed 7 | ifscore -m "$1"' _ "$model"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" >out.tsv
	[ "$(wc -l <out.tsv)" -eq 2001 ]
	[ "$(head -n 1 out.tsv)" = $'time\ttemperature\thumidity\tsound\tlabel\tscore\tstatus' ]
	cut -f1-5 out.tsv | cmp - in.tsv
	[ "$(sed -n 2p out.tsv | cut -f1)" = "2026-01-01T00:00:00Z" ]
	# Some anomalies, far fewer than rows, and most of them labelled.
	anomalies="$(awk -F'\t' '$7 == "anomaly"' out.tsv | wc -l)"
	labelled="$(awk -F'\t' '$7 == "anomaly" && $5 == 1' out.tsv | wc -l)"
	echo "anomalies=$anomalies labelled=$labelled"
	[ "$anomalies" -gt 20 ]
	[ "$anomalies" -lt 400 ]
	[ "$((labelled * 2))" -gt "$anomalies" ]
}

@test "pipeline: a model trained on sensorgen output with a time column" {
	run_split bash -c 'sensorgen -n 2000 --seed 7 | iftrain -c 0.05 -v -o t.if'
	[ "$status" -eq 0 ]
	[[ "$err" == *"iftrain: features: temperature, humidity, sound"* ]]
	run_split bash -c 'sensorgen -n 500 --seed 8 | ifscore -m t.if | tail -n +2 | cut -f7 | sort -u'
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "anomaly
normal" ]
}

@test "pipeline: endless sensorgen -n 0 | ifscore | head -3 ends quietly" {
	model="$(classic_model)"
	run_split bash -c 'sensorgen -n 0 | ifscore -m "$1" | head -n 3' _ "$model"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ]
	[ "${out%%$'\n'*}" = $'time\ttemperature\thumidity\tsound\tlabel\tscore\tstatus' ]
}

@test "pipeline: every stage of sensorgen | ifscore | head ends by SIGPIPE or success" {
	model="$(classic_model)"
	run_split bash -c 'sensorgen -n 0 | ifscore -m "$1" | head -n 1 >/dev/null
	    echo "${PIPESTATUS[*]}"' _ "$model"
	[ -z "$err" ]
	echo "statuses: $out"
	[[ "$out" =~ ^(0|141)\ (0|141)\ 0$ ]]
}

@test "pipeline: sensorgen | ifscore --json is valid JSON Lines" {
	model="$(classic_model)"
	run_split bash -c 'sensorgen -n 300 --seed 7 | ifscore --json -m "$1"' _ "$model"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	run python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 300, len(rows)
for r in rows:
    assert list(r) == ["time", "temperature", "humidity", "sound", "label",
                       "score", "anomaly_score", "status"], r
    assert isinstance(r["time"], str) and r["time"].startswith("2026-"), r
    assert r["anomaly_score"] in (0, 1), r
    assert r["status"] in ("normal", "anomaly"), r
print(rows[0]["time"], sum(r["anomaly_score"] for r in rows) > 0)
' <<<"$out"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "2026-01-01T00:00:00Z True" ]
}

@test "pipeline: the JSON and TSV outputs flag the same rows" {
	model="$(classic_model)"
	sensorgen --classic | ifscore -m "$model" | tail -n +2 | cut -f6 >tsv.txt
	sensorgen --classic | ifscore --json -m "$model" |
	    python3 -c 'import json,sys; [print(json.loads(l)["status"]) for l in sys.stdin]' >json.txt
	cmp tsv.txt json.txt
	[ "$(grep -c anomaly json.txt)" -eq 53 ]
}

@test "pipeline: CSV end to end with -d ," {
	run_split bash -c 'sensorgen --classic -d , | iftrain -f temperature,humidity,sound -d , -c 0.05 -o c.if &&
	    sensorgen --classic -d , | ifscore -d , -m c.if | grep -c ",anomaly$"'
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = 53 ]
}

@test "pipeline: ifscore | ifstat counts 1050 rows, 53 anomalies, 50 true positives" {
	model="$(classic_model)"
	run_split bash -c 'sensorgen --classic | ifscore -m "$1" | ifstat' _ "$model"
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	printf '%s\n' "$out" >stat.tsv
	[ "$(head -n 1 stat.tsv)" = $'metric\tvalue' ]
	[ "$(awk -F'\t' '$1 == "rows" { print $2 }' stat.tsv)" = 1050 ]
	[ "$(awk -F'\t' '$1 == "anomalies" { print $2 }' stat.tsv)" = 53 ]
	[ "$(awk -F'\t' '$1 == "normal" { print $2 }' stat.tsv)" = 997 ]
	[ "$(awk -F'\t' '$1 == "errors" { print $2 }' stat.tsv)" = 0 ]
	[ "$(awk -F'\t' '$1 == "tp" { print $2 }' stat.tsv)" = 50 ]
	[ "$(awk -F'\t' '$1 == "fp" { print $2 }' stat.tsv)" = 3 ]
}

@test "pipeline: ifscore's error rows reach ifstat and the status is 2" {
	model="$(classic_model)"
	{
		printf 'temperature\thumidity\tsound\tlabel\n'
		printf '50\t60\t70\t0\n5x\t60\t70\t0\n90\t90\t100\t1\n'
	} >in.tsv
	run_split bash -c 'set -o pipefail; ifscore -m "$1" in.tsv | ifstat' _ "$model"
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: in.tsv:3: field 'temperature': invalid number '5x'" ]
	printf '%s\n' "$out" >stat.tsv
	[ "$(awk -F'\t' '$1 == "rows" { print $2 }' stat.tsv)" = 3 ]
	[ "$(awk -F'\t' '$1 == "errors" { print $2 }' stat.tsv)" = 1 ]
	[ "$(awk -F'\t' '$1 == "anomalies" { print $2 }' stat.tsv)" = 1 ]
}

@test "make install: programs 0755, pages 0644, under DESTDIR, PREFIX and MANDIR" {
	command -v make >/dev/null
	bindir="$(dirname "$(command -v ifscore)")"
	# -o all: install what the suite runs, without building anything.
	run_split make -s -C "$IFTOOLS_ROOT" -o all install BIN="$bindir" \
	    DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/ift MANDIR=/opt/man
	echo "status=$status err=$err"
	[ "$status" -eq 0 ]
	cd "$BATS_TEST_TMPDIR/root"
	[ "$(find . -type f -printf '%m %p\n' | sort)" = "644 ./opt/man/man1/ifscore.1
644 ./opt/man/man1/ifstat.1
644 ./opt/man/man1/iftrain.1
644 ./opt/man/man1/sensorgen.1
644 ./opt/man/man5/iforest.5
755 ./opt/ift/bin/ifscore
755 ./opt/ift/bin/ifstat
755 ./opt/ift/bin/iftrain
755 ./opt/ift/bin/sensorgen" ]
	./opt/ift/bin/iftrain --version
}
