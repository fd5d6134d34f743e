#!/usr/bin/env bats
# sensorgen: the simulated stream, --classic, pacing, errors.

load test_helper

TAB=$'\t'

# The mean of column $1 over the data rows of stdin for which column $2
# equals $3, to one decimal.
mean_where() {
	awk -F '\t' -v c="$1" -v k="$2" -v v="$3" \
	    'NR > 1 && $k == v { s += $c; n++ } END { printf "%.1f\n", s / n }'
}

@test "default: the header, 1050 readings, about 50 bursts" {
	run_split sensorgen
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(head -1 <<<"$out")" = "time${TAB}temperature${TAB}humidity${TAB}sound${TAB}label" ]
	[ "$(wc -l <<<"$out")" -eq 1051 ]
	anomalies=$(awk -F '\t' 'NR > 1 && $5 == 1' <<<"$out" | wc -l)
	[ "$anomalies" -ge 25 ] && [ "$anomalies" -le 80 ]
	t=$(mean_where 2 5 1 <<<"$out"); h=$(mean_where 3 5 1 <<<"$out")
	s=$(mean_where 4 5 1 <<<"$out")
	awk -v t="$t" -v h="$h" -v s="$s" 'BEGIN { exit !(t > 88 && t < 92 &&
	    h > 88 && h < 92 && s > 97 && s < 103) }'
	t=$(mean_where 2 5 0 <<<"$out"); s=$(mean_where 4 5 0 <<<"$out")
	awk -v t="$t" -v s="$s" 'BEGIN { exit !(t > 49 && t < 51 && s > 69 && s < 71) }'
}

@test "default: the same bytes everywhere, whatever TZ and locale" {
	[ "$(sensorgen | cksum)" = "2922066340 81200" ]
	[ "$(TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 sensorgen | cksum)" = "2922066340 81200" ]
	[ "$(sensorgen | sed -n 2p)" = "2026-01-01T00:00:00Z${TAB}46.75383662415963${TAB}72.88453080829686${TAB}77.52472285285118${TAB}0" ]
}

@test "--classic: the original data, value for value" {
	run_split sensorgen --classic
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(wc -l <<<"$out")" -eq 1051 ]
	[ "$(sed -n 1p <<<"$out")" = "temperature${TAB}humidity${TAB}sound${TAB}label" ]
	[ "$(sed -n 2p <<<"$out")" = "52.483570765056164${TAB}63.99355436586002${TAB}64.59857380020495${TAB}0" ]
	[ "$(sed -n 1001p <<<"$out" | cut -f4)" = 0 ]
	[ "$(sed -n 1002p <<<"$out" | cut -f4)" = 1 ]
	[ "$(sed -n 1051p <<<"$out")" = "92.39449384729046${TAB}91.7395718558854${TAB}95.51678886342395${TAB}1" ]
	# numpy's first normals for seed 42, times 5, plus 50.
	[ "$(sed -n 2,6p <<<"$out" | cut -f1 | paste -sd ' ')" = \
	  "52.483570765056164 49.308678494144075 53.23844269050346 57.61514928204013 48.82923312638332" ]
	[ "$(mean_where 1 4 1 <<<"$out")" = 89.5 ]
	[ "$(mean_where 2 4 1 <<<"$out")" = 90.0 ]
	[ "$(mean_where 3 4 1 <<<"$out")" = 99.5 ]
}

@test "--classic makes data/sensor_data.tsv" {
	sensorgen --classic | cmp - "$DATA/sensor_data.tsv"
}

@test "--classic --no-label -d , is the original CSV byte for byte" {
	run_split sensorgen --classic --no-label -d ,
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(sed -n 1p <<<"$out")" = "temperature,humidity,sound" ]
	[ "$(sed -n 2p <<<"$out")" = "52.483570765056164,63.99355436586002,64.59857380020495" ]
	[ "$(sensorgen --classic --no-label -d , | cksum)" = "733790393 57095" ]
}

@test "--classic refuses the options that shape the simulation" {
	while read -r opt value long; do
		run_split sensorgen --classic "$opt" "$value"
		[ "$status" -eq 2 ]
		[ -z "$out" ]
		[ "$err" = "sensorgen: --classic cannot be combined with $long
Try 'sensorgen --help' for more information." ]
	done <<'EOF'
-n 5 --count
-a 0.1 --anomaly-rate
--seed 1 --seed
-i 2 --interval
--start now --start
-D 2 --devices
-k spike --kinds
EOF
}

@test "-n: the count, 0 for endless; a shorter run is a prefix" {
	[ "$(sensorgen -n 7 | wc -l)" -eq 8 ]
	[ "$(sensorgen --count 0 | head -5000 | wc -l)" -eq 5000 ]
	[ "$(sensorgen -n 0 | head -301)" = "$(sensorgen -n 300)" ]
	# The last of repeated options counts.
	[ "$(sensorgen -n 0 -n 3 | wc -l)" -eq 4 ]
}

@test "-n 0 | head ends quietly" {
	run bash -c 'sensorgen -n 0 2>err | head -3; echo "status $?"; cat err'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[3]}" = "status 0" ]
}

@test "-a: 0 plants nothing, 1 makes every reading anomalous" {
	[ "$(sensorgen -a 0 -n 2000 | awk -F '\t' 'NR > 1 && $5 != 0' | wc -l)" -eq 0 ]
	[ "$(sensorgen --anomaly-rate 1 -n 500 | awk -F '\t' 'NR > 1 && $5 != 1' | wc -l)" -eq 0 ]
	n=$(sensorgen -a 0.2 -n 10000 | awk -F '\t' 'NR > 1 && $5 == 1' | wc -l)
	[ "$n" -ge 1800 ] && [ "$n" -le 2200 ]
}

@test "-a with runs of drift and stuck still labels about that fraction" {
	n=$(sensorgen -a 0.1 -n 100000 -k drift,stuck | awk -F '\t' 'NR > 1 && $5 == 1' | wc -l)
	[ "$n" -ge 8000 ] && [ "$n" -le 12000 ]
}

@test "-a and -k change only the anomalies, not the normal readings" {
	sensorgen -n 3000 -a 0.2 -k spike,drift | awk -F '\t' '$5 == 0' >a
	sensorgen -n 3000 -a 0.01 -k burst,stuck,dropout | awk -F '\t' '$5 == 0' >b
	common=$(join -t "$TAB" a b | wc -l)
	same=$(join -t "$TAB" a b | awk -F '\t' '$2 == $7 && $3 == $8 && $4 == $9' | wc -l)
	[ "$common" -gt 2000 ]
	[ "$same" -eq "$common" ]
}

@test "--seed: the same seed gives the same bytes, another seed others" {
	sensorgen --seed 7 -n 200 >a
	sensorgen --seed 7 -n 200 >b
	sensorgen --seed 8 -n 200 >c
	cmp a b
	! cmp -s a c
	[ "$(sensorgen --seed 42 | cksum)" = "$(sensorgen | cksum)" ]
	[ "$(sed -n 2p a | cut -f2)" != "$(sed -n 2p c | cut -f2)" ]
}

@test "-i and --start set the simulated clock" {
	[ "$(sensorgen -n 3 -i 60 --start 2024-02-28T23:59:00Z | cut -f1 | paste -sd ' ')" = \
	  "time 2024-02-28T23:59:00Z 2024-02-29T00:00:00Z 2024-02-29T00:01:00Z" ]
	[ "$(sensorgen -n 2 --interval 86400 --start 2100-02-28T12:00:00Z | sed -n 3p | cut -f1)" = \
	  "2100-03-01T12:00:00Z" ]
	[ "$(sensorgen -n 3 -i 0.25 --start 1969-12-31T23:59:59.5Z | cut -f1 | paste -sd ' ')" = \
	  "time 1969-12-31T23:59:59.500Z 1969-12-31T23:59:59.750Z 1970-01-01T00:00:00.000Z" ]
	[ "$(sensorgen -n 2 -i 0.000001 | sed -n 3p | cut -f1)" = "2026-01-01T00:00:00.000001Z" ]
	[ "$(sensorgen -n 2 -i 1e-9 | sed -n 3p | cut -f1)" = "2026-01-01T00:00:00.000000001Z" ]
	# The readings do not depend on the clock.
	[ "$(sensorgen -n 5 -i 7 | cut -f2-)" = "$(sensorgen -n 5 | cut -f2-)" ]
}

@test "--start now is the wall clock, in whole seconds for -i 1" {
	before=$(date -u +%s)
	t=$(sensorgen -n 1 --start now | sed -n 2p | cut -f1)
	after=$(date -u +%s)
	[[ "$t" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
	secs=$(date -u -d "$t" +%s)
	[ "$secs" -ge "$before" ] && [ "$secs" -le "$after" ]
}

@test "the clock may not pass the year 9999" {
	run_split sensorgen -n 0 -i 1000000000 --start 9990-01-01T00:00:00Z
	[ "$status" -eq 2 ]
	[ "$err" = "sensorgen: the simulated clock passed 9999-12-31T23:59:59Z" ]
	[ "$(wc -l <<<"$out")" -eq 2 ]
}

@test "-r paces the stream: -r 10 -n 11 takes about a second" {
	start=$(date +%s%N)
	run_split sensorgen -r 10 -n 11
	end=$(date +%s%N)
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(wc -l <<<"$out")" -eq 12 ]
	ms=$(( (end - start) / 1000000 ))
	[ "$ms" -ge 800 ] && [ "$ms" -le 2500 ]
	# The simulated clock follows: one reading every 1/HZ seconds.
	[ "$(sed -n 3p <<<"$out" | cut -f1)" = "2026-01-01T00:00:00.100Z" ]
	# The same readings as unpaced.
	[ "$(cut -f2- <<<"$out")" = "$(sensorgen -n 11 | cut -f2-)" ]
}

@test "-r writes every line at once" {
	# A paced endless stream: head sees its lines as they come and the
	# writer dies of SIGPIPE on the next one, well before any buffer fills.
	start=$(date +%s%N)
	run bash -c 'sensorgen --rate 20 -n 0 | head -3'
	end=$(date +%s%N)
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ $(( (end - start) / 1000000 )) -le 2500 ]
}

@test "--classic with -r is paced too" {
	start=$(date +%s%N)
	run bash -c 'sensorgen --classic -r 20 | head -11'
	end=$(date +%s%N)
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "52.483570765056164${TAB}63.99355436586002${TAB}64.59857380020495${TAB}0" ]
	ms=$(( (end - start) / 1000000 ))
	[ "$ms" -ge 400 ] && [ "$ms" -le 2500 ]
}

@test "-D: interleaved machines, each with its own baseline" {
	run_split sensorgen -D 3 -n 7
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(head -1 <<<"$out")" = "time${TAB}device${TAB}temperature${TAB}humidity${TAB}sound${TAB}label" ]
	[ "$(cut -f2 <<<"$out" | paste -sd ' ')" = "device m1 m2 m3 m1 m2 m3 m1" ]
	[ "$(sensorgen --devices 12 -n 12 | cut -f2 | sed -n '2p;13p' | paste -sd ' ')" = "m01 m12" ]
	# Per-machine means differ from each other, within a base sd of 50.
	sensorgen -D 3 -n 30000 -a 0 >d
	m1=$(mean_where 3 2 m1 <d); m2=$(mean_where 3 2 m2 <d); m3=$(mean_where 3 2 m3 <d)
	[ "$m1" != "$m2" ] || [ "$m2" != "$m3" ]
	for m in "$m1" "$m2" "$m3"; do
		awk -v m="$m" 'BEGIN { exit !(m >= 44.8 && m <= 55.2) }'
	done
}

@test "-k adds the kind column, none on normal readings" {
	run_split sensorgen -k burst -n 3000
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(head -1 <<<"$out")" = "time${TAB}temperature${TAB}humidity${TAB}sound${TAB}label${TAB}kind" ]
	[ "$(awk -F '\t' 'NR > 1 { print $5, $6 }' <<<"$out" | sort -u | paste -sd ,)" = "0 none,1 burst" ]
	# Without -k the same seed plants the same bursts.
	[ "$(cut -f1-5 <<<"$out" | sed 1d)" = "$(sensorgen -n 3000 | sed 1d)" ]
}

@test "-k spike: one sensor 6 to 10 standard deviations out" {
	sensorgen -k spike -a 0.05 -n 20000 | awk -F '\t' '$6 == "spike"' >s
	[ "$(wc -l <s)" -gt 500 ]
	# temperature N(50, 5), humidity N(50, 10), sound N(70, 8): count
	# the sensors beyond 5.9 sd; exactly one, and none beyond 10.
	awk -F '\t' '{
		z[1] = ($2 - 50) / 5; z[2] = ($3 - 50) / 10; z[3] = ($4 - 70) / 8
		far = 0
		for (i = 1; i <= 3; i++) {
			if (z[i] < 0) z[i] = -z[i]
			if (z[i] > 10.0001) exit 1
			if (z[i] >= 5.9999) far++
		}
		if (far != 1) exit 1
	}' s
}

@test "-k drift: runs of 20 to 60 readings moving one sensor away" {
	sensorgen -k drift -a 0.05 -n 20000 >d
	# Lengths of the runs of drift readings; at this rate no two runs
	# of this seed happen to touch.
	awk -F '\t' 'NR > 1 { if ($6 == "drift") n++; else if (n) { print n; n = 0 } }' d >runs
	[ "$(wc -l <runs)" -gt 5 ]
	[ "$(sort -n runs | head -1)" -ge 20 ]
	[ "$(sort -n runs | tail -1)" -le 60 ]
	# Averaged over the last readings of runs, one sensor is >= 5 sd out.
	awk -F '\t' 'NR > 1 {
		if ($6 == "drift") { last = $0; n++ }
		else if (n) {
			split(last, f, "\t")
			z = (f[2] - 50) / 5; if (z < 0) z = -z; m = z
			z = (f[3] - 50) / 10; if (z < 0) z = -z; if (z > m) m = z
			z = (f[4] - 70) / 8; if (z < 0) z = -z; if (z > m) m = z
			s += m; k++; n = 0
		}
	} END { exit !(s / k >= 5) }' d
}

@test "-k stuck: one sensor repeats one value" {
	sensorgen -k stuck -a 0.2 -n 3000 >d
	awk -F '\t' 'NR > 1 && $6 == "stuck"' d >s
	[ "$(wc -l <s)" -gt 100 ]
	# In a run, the stuck sensor's text is the same on every reading.
	awk -F '\t' '
	$6 == "stuck" && prev == "stuck" { for (i = 2; i <= 4; i++) if ($i == p[i]) same++; rows++ }
	{ prev = $6; for (i = 2; i <= 4; i++) p[i] = $i }
	END { exit !(rows > 50 && same == rows) }' d
}

@test "-k dropout: one sensor NA" {
	sensorgen -k dropout -a 0.1 -n 2000 >d
	[ "$(awk -F '\t' '$6 == "dropout"' d | wc -l)" -gt 100 ]
	awk -F '\t' 'NR > 1 {
		na = ($2 == "NA") + ($3 == "NA") + ($4 == "NA")
		if (($6 == "dropout") != (na == 1) || na > 1) exit 1
	}' d
}

@test "-k with every kind plants each of them" {
	run_split sensorgen -k burst,spike,drift,stuck,dropout -D 4 -a 0.2 -n 5000
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(awk -F '\t' 'NR > 1 { print $NF }' <<<"$out" | sort -u | paste -sd ' ')" = \
	  "burst drift dropout none spike stuck" ]
	[ "$(awk -F '\t' 'NR > 1 && ($6 == 1) != ($7 != "none")' <<<"$out" | wc -l)" -eq 0 ]
}

@test "--no-label drops the label and kind columns" {
	[ "$(sensorgen --no-label -n 1 | head -1)" = "time${TAB}temperature${TAB}humidity${TAB}sound" ]
	[ "$(sensorgen --no-label -k spike -D 2 -n 1 | head -1)" = "time${TAB}device${TAB}temperature${TAB}humidity${TAB}sound" ]
	[ "$(sensorgen --no-label -n 50 | sed 1d)" = "$(sensorgen -n 50 | sed 1d | cut -f1-4)" ]
}

@test "-d: another delimiter" {
	[ "$(sensorgen -d , -n 2 | head -2)" = "$(sensorgen -n 2 | head -2 | tr '\t' ,)" ]
	[ "$(sensorgen --delimiter ';' -D 2 -k spike -n 1 | head -1)" = "time;device;temperature;humidity;sound;label;kind" ]
	[ "$(sensorgen -d tab -n 3)" = "$(sensorgen -n 3)" ]
}

@test "a write error ends even an endless stream, with status 2" {
	for args in "" "-n 0" "-n 0 -r 1000" "--classic"; do
		run_split bash -c "sensorgen $args >/dev/full"
		[ "$status" -eq 2 ]
		[ "$err" = "sensorgen: write error on standard output: No space left on device" ]
	done
}

@test "bad options: one clear message and status 2" {
	while IFS='|' read -r args message; do
		run_split sensorgen $args
		[ "$status" -eq 2 ] || { echo "status $status for $args"; false; }
		[ -z "$out" ]
		[ "$err" = "sensorgen: $message
Try 'sensorgen --help' for more information." ] || { echo "for $args: $err"; false; }
	done <<'EOF'
-n -1|invalid value '-1' for --count: must be at least 0
-n 1.5|invalid value '1.5' for --count: not a whole number
--count x|invalid value 'x' for --count: not a whole number
-a 1.5|invalid value '1.5' for --anomaly-rate: must be at least 0.0 and at most 1.0
-a -0.1|invalid value '-0.1' for --anomaly-rate: must be at least 0.0 and at most 1.0
-a x|invalid value 'x' for --anomaly-rate: not a number
-r 0|invalid value '0' for --rate: must be at least 1e-09 and at most 1000000.0
-r -5|invalid value '-5' for --rate: must be at least 1e-09 and at most 1000000.0
-r 1e-10|invalid value '1e-10' for --rate: must be at least 1e-09 and at most 1000000.0
-r 1000001|invalid value '1000001' for --rate: must be at least 1e-09 and at most 1000000.0
--rate fast|invalid value 'fast' for --rate: not a number
-i 0|invalid value '0' for --interval: must be greater than 0.0 and at most 1000000000.0
-i 1e-12|invalid value '1e-12' for --interval: must be at least one nanosecond
--start 2026-01-01|invalid value '2026-01-01' for --start: not a UTC time like 2026-01-01T00:00:00Z
--start 2026-01-01T00:00:00|invalid value '2026-01-01T00:00:00' for --start: not a UTC time like 2026-01-01T00:00:00Z
--start 2026-01-01T00:00:00+01:00|invalid value '2026-01-01T00:00:00+01:00' for --start: not a UTC time like 2026-01-01T00:00:00Z
--start 2026-01-01T00:00:00.1234567890Z|invalid value '2026-01-01T00:00:00.1234567890Z' for --start: not a UTC time like 2026-01-01T00:00:00Z
--start 2025-02-29T00:00:00Z|invalid value '2025-02-29T00:00:00Z' for --start: no such date or time
--start 2026-01-01T24:00:00Z|invalid value '2026-01-01T24:00:00Z' for --start: no such date or time
-D 0|invalid value '0' for --devices: must be at least 1
-D 100001|invalid value '100001' for --devices: must be at most 100000
-k foo|invalid value 'foo' for --kinds: unknown kind 'foo' (burst, spike, drift, stuck, dropout)
-k spike,,drift|invalid value 'spike,,drift' for --kinds: unknown kind '' (burst, spike, drift, stuck, dropout)
--seed -1|invalid value '-1' for --seed: must be at least 0
--seed 0x10|invalid value '0x10' for --seed: not a whole number
-d ab|invalid delimiter 'ab': must be one character
--bogus|unrecognized option '--bogus'
-x|invalid option -- 'x'
-n|option requires an argument -- 'n'
--start|option '--start' requires an argument
extra|unexpected argument 'extra'
EOF
}

@test "--help and --version" {
	run_split sensorgen --help
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(head -1 <<<"$out")" = "usage: sensorgen [-n count] [-a rate] [-r hz] [-i seconds] [--start time]" ]
	for opt in --count --anomaly-rate --seed --rate --interval --start --devices --kinds --no-label --classic --delimiter; do
		grep -q -- "$opt" <<<"$out"
	done
	run_split sensorgen --version
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$(head -1 <<<"$out")" = "sensorgen (iftools) 0.1.0" ]
}

@test "-h and -V are --help and --version, as in the other tools" {
	run_split sensorgen -h
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "$(sensorgen --help)" ]
	run_split sensorgen -V
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "$(sensorgen --version)" ]
}

@test "--help gives defaults in brackets, as iftrain and ifscore do" {
	run_split sensorgen --help
	[ "$status" -eq 0 ]
	[[ "$out" != *"(default"* ]]
	grep -q -- '--count N .*\[1050\]$' <<<"$out"
	grep -q -- '--seed N .*\[42\]$' <<<"$out"
	grep -q -- 'dropout \[burst\]$' <<<"$out"
	grep -q -- '--delimiter CHAR .*\[tab\]$' <<<"$out"
}

@test "-r 1e-9, the slowest pace, writes its first reading at once" {
	run_split sensorgen -r 1e-9 -n 1
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	# one reading every 10^9 seconds: the clock shows whole seconds
	[ "$(sed -n 2p <<<"$out" | cut -f1)" = "2026-01-01T00:00:00Z" ]
}

@test "a long unpaced stream never reads the pacing state" {
	# Without -r the pacing state is unset; clang's sanitizers caught a
	# read of it near reading 65,800 (make sanitize CC=clang runs this).
	run_split bash -c 'sensorgen -n 200000 | tail -n 1'
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	[ "$out" = "$(sensorgen -n 0 | sed -n '200001{p;q}')" ]
}

@test "sensorgen(1): the EXAMPLES that show output print just that" {
	check_man_examples sensorgen.1
}

@test "--shift: the readings before it unchanged, the ones after moved and labelled 0" {
	run_split bash -c 'diff <(sensorgen -n 3000 --seed 5 | head -1001) <(sensorgen -n 3000 --seed 5 --shift 1000 | head -1001)'
	[ "$status" -eq 0 ]
	# Temperature is N(50, 5): 4 sd up is 70, 2 sd down is 40; no anomaly
	# planted with -a 0, and every label 0.
	run_split bash -c 'sensorgen -n 3000 -a 0 --seed 5 --shift 1000 | awk -F "\t" "NR > 1001 { s += \$2; n++; l += \$5 } END { printf \"%.0f %d\n\", s / n, l }"'
	[ "$out" = "70 0" ]
	run_split bash -c 'sensorgen -n 3000 -a 0 --seed 5 --shift 1000,-2 | awk -F "\t" "NR > 1001 { s += \$2; n++ } END { printf \"%.0f\n\", s / n }"'
	[ "$out" = "40" ]
	# Spikes after the shift are planted around the new normal: their
	# unaffected sensors sit near it.
	run_split bash -c 'sensorgen -n 4000 --seed 5 -k burst --shift 1000 | awk -F "\t" "NR > 1001 && \$6 == \"burst\" { s += \$2; n++ } END { printf \"%.0f\n\", s / n }"'
	[ "$out" = "110" ]
	[ -z "$err" ]
}

@test "--shift: bad values, and no --classic" {
	while IFS='|' read -r args message; do
		run_split sensorgen $args
		[ "$status" -eq 2 ]
		[ "$err" = "sensorgen: $message
Try 'sensorgen --help' for more information." ] || { echo "for $args: $err"; false; }
	done <<'EOF2'
--shift x|invalid value 'x' for --shift: not a whole number
--shift -1|invalid value '-1' for --shift: must be at least 0
--shift 5,y|invalid value 'y' for --shift: not a number
--classic --shift 5|--classic cannot be combined with --shift
EOF2
}
