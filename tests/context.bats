#!/usr/bin/env bats
# Context features per series: iftrain -w/-g/--context, the recipe in the
# model, and ifscore recomputing the same features in input order.

load test_helper

# Two machines, interleaved, with a dropout and a repeated reading.
small_series() {
	printf 'device\tx\nA\t1\nB\t10\nA\t2\nA\tNA\nA\t2\nB\t20\nA\t4\nA\t5\nA\t6\n'
}

all_kinds_model() {
	small_series >w.tsv
	iftrain -g device -w 3 --context mean,std,dev,trend,same -f x -t 2 -s 4 \
		-o w.if w.tsv
}

@test "iftrain -w -g: the recipe is recorded under model version 2" {
	all_kinds_model
	[ "$(head -n 1 w.if)" = "iforest 2" ]
	[ "$(grep '^feature ' w.if)" = "feature x
feature x@mean3
feature x@std3
feature x@dev3
feature x@trend3
feature x@same" ]
	[ "$(grep -E '^(window|context|group) ' w.if)" = "window 3
context mean,std,dev,trend,same
group device" ]
	# Written as read.
	ifscore -m w.if --print-model | cmp - w.if
}

@test "iftrain -w: the default kinds are trend and same for a fleet (-g), mean for one series" {
	small_series >w.tsv
	iftrain -g device -w 4 -f x -o d.if w.tsv
	[ "$(grep -E '^(feature|window|context|group) ' d.if)" = "feature x
feature x@trend4
feature x@same
window 4
context trend,same
group device" ]
	iftrain -w 4 -f x -o d.if w.tsv
	[ "$(grep -E '^(feature|window|context|group) ' d.if)" = "feature x
feature x@mean4
window 4
context mean" ]
}

# sensorgen's readings, independent from row to row, and a slow wave.
wave_and_noise() {
	sensorgen -n 3000 --seed 3 |
	    awk -F '\t' -v OFS='\t' 'NR == 1 { print $0, "level"; next }
		{ print $0, sprintf("%.6f", 20 + 5 * sin(NR / 40)) }'
}

# rejected MODEL SED-SCRIPT MESSAGE: MODEL edited by SED-SCRIPT is refused
# with status 2 and "ifscore: bad.if:MESSAGE" (one.tsv is the input).
rejected() {
	sed "$2" "$1" >bad.if
	run_split ifscore -m bad.if one.tsv
	echo "status=$status err=$err"
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: bad.if:$3" ]
}

@test "iftrain -w without -g: a column that is no series gets no context, and the model says which have it (version 3)" {
	wave_and_noise >in.tsv
	run_split iftrain -w 16 -o lv.if in.tsv
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$err" | tail -n 1)" = "iftrain: -w 16: no context for 'temperature' (0.01), 'humidity' (0.01), 'sound' (-0.01): lag-1 autocorrelation under 0.5" ]
	[ "$(head -n 1 lv.if)" = "iforest 3" ]
	[ "$(grep -E '^(feature|window|context|context_sensors) ' lv.if)" = "feature temperature
feature humidity
feature sound
feature level
feature level@mean16
window 16
context mean
context_sensors 3" ]
	ifscore -m lv.if --print-model | cmp - lv.if
	# ifscore computes the one context feature the model has.
	run_split ifscore -m lv.if --show-context in.tsv
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$out" | sed -n '1p;3p' | cut -f 6-7)" = "level	level@mean16
20.374649	20.3122725" ]
	# --series-min 0: every column has its context, as with -g.
	iftrain -w 16 --series-min 0 -o all.if in.tsv 2>/dev/null
	[ "$(head -n 1 all.if)" = "iforest 2" ]
	[ "$(grep -c '@mean16$' all.if)" -eq 4 ]
}

@test "ifscore --adapt --state with a model whose columns have context or not: split runs give one run's output" {
	wave_and_noise >in.tsv
	iftrain -w 16 -o lv.if in.tsv 2>/dev/null
	grep -q '^context_sensors 3$' lv.if
	ifscore -m lv.if --adapt 512 in.tsv >whole.tsv
	{ head -n 1201 in.tsv; } >part1.tsv
	{ head -n 1 in.tsv; tail -n +1202 in.tsv; } >part2.tsv
	ifscore -m lv.if --adapt 512 --state s.state part1.tsv >runs.tsv
	# One series, one sensor with context: its window is in the state.
	grep -q '^context 1$' s.state
	ifscore -j 2 -m lv.if --adapt 512 --state s.state part2.tsv | tail -n +2 >>runs.tsv
	cmp runs.tsv whole.tsv
}

@test "iftrain -w without -g: a table of records gets no context at all, and the model is the plain one" {
	sensorgen -n 2000 --seed 4 >in.tsv
	run_split iftrain -w 32 -o w.if in.tsv
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$err" | tail -n 1)" = "iftrain: -w 32: no context for 'temperature' (-0.01), 'humidity' (0.03), 'sound' (0.01): lag-1 autocorrelation under 0.5: a model without context" ]
	iftrain -o plain.if in.tsv 2>/dev/null
	cmp w.if plain.if
}

@test "context features: the formulas, the warm-up and a dropout, per machine" {
	all_kinds_model
	run_split ifscore --show-context -m w.if w.tsv
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	# trend of [1,2,2]: slope 0.5 over its standard error 0.2887 = sqrt(3);
	# [4,5,6] lies on a line: 1e6.  same: -log2(|x - p| / (|x| + |p|)),
	# 64 for a repeat.  NA: left out of the window, its own dev and same NA.
	[ "$(printf '%s\n' "$out" | cut -f 1-7)" = "device	x	x@mean3	x@std3	x@dev3	x@trend3	x@same
A	1	1.0	0.0	NA	NA	NA
B	10	10.0	0.0	NA	NA	NA
A	2	1.5	0.5	1.0	NA	1.5849625007211563
A	NA	1.5	0.5	NA	NA	NA
A	2	1.6666666666666667	0.4714045207910317	0.5	1.7320508075688774	64.0
B	20	15.0	5.0	10.0	NA	1.5849625007211563
A	4	2.6666666666666665	0.9428090415820632	2.333333333333333	1.7320508075688767	1.5849625007211563
A	5	3.6666666666666665	1.247219128924647	2.3333333333333335	5.196152422706657	3.1699250014423126
A	6	5.0	0.816496580927726	2.3333333333333335	1000000.0	3.4594316186372973" ]
}

@test "ifscore --show-context --json: the features as numbers, null when missing" {
	all_kinds_model
	run_split ifscore --json --show-context -m w.if w.tsv
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$out" | head -n 1 | cut -d, -f 1-7)" = '{"device":"A","x":1,"x@mean3":1.0,"x@std3":0.0,"x@dev3":null,"x@trend3":null,"x@same":null' ]
	printf '%s\n' "$out" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'
}

@test "context: a machine's scores do not change when other machines' rows are removed" {
	sensorgen -D 3 -n 12000 --seed 3 -k stuck,drift,spike -a 0.02 >f.tsv
	iftrain -g device -w 16 -o f.if f.tsv
	ifscore -m f.if f.tsv >all.tsv
	awk -F '\t' 'NR == 1 || $2 == "m2"' f.tsv >m2.tsv
	ifscore -m f.if m2.tsv >m2.scored
	awk -F '\t' 'NR == 1 || $2 == "m2"' all.tsv | cmp - m2.scored
	[ "$(wc -l <m2.scored)" -eq 4001 ]
}

@test "context: the output is the same for every -j, chunks of any size" {
	sensorgen -D 4 -n 30000 --seed 4 -k stuck,drift -a 0.02 >f.tsv
	iftrain -g device -w 32 -o f.if f.tsv
	ifscore -j 1 -m f.if f.tsv >j1.tsv
	ifscore -j 2 -m f.if f.tsv >j2.tsv
	ifscore -j 4 -m f.if f.tsv >j4.tsv
	cmp j1.tsv j2.tsv
	cmp j1.tsv j4.tsv
	# A live stream: a chunk a line, the same scores.
	ifscore -u -j 2 -m f.if <f.tsv | cmp - j1.tsv
}

@test "context: a stuck sensor and a drift on a machine not trained on are flagged" {
	sensorgen -D 2 -n 20000 -a 0 --seed 5 >train.tsv
	iftrain -g device -w 32 -c 0.01 -o f.if train.tsv
	sensorgen -D 2 -n 20000 -k stuck,drift -a 0.03 --seed 8 | ifscore -m f.if >s.tsv
	# Recall of stuck readings, and false alarms among normal ones.
	run awk -F '\t' 'NR > 1 { n[$7]++; if ($9 == "anomaly") a[$7]++ }
		END { printf "%.2f %.3f\n", a["stuck"] / n["stuck"], a["none"] / n["none"] }' s.tsv
	echo "$output"
	stuck=${output% *} fpr=${output#* }
	awk -v s="$stuck" -v f="$fpr" 'BEGIN { exit !(s >= 0.95 && f <= 0.03) }'
}

@test "a model without context nor the range penalty is still written as version 1" {
	iftrain -c 0.05 --no-penalize-range -o plain.if "$DATA/sensor_data.tsv"
	[ "$(head -n 1 plain.if)" = "iforest 1" ]
	! grep -qE '^(window|context|group) ' plain.if
}

# --- errors ---------------------------------------------------------------------

@test "iftrain: bad context options" {
	small_series >w.tsv
	run_split iftrain -w 0 w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: invalid value '0' for --window: must be at least 1
Try 'iftrain --help' for more information." ]
	run_split iftrain -g device w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: --group needs --window
Try 'iftrain --help' for more information." ]
	run_split iftrain -w 3 --context mean,bogus w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: invalid value 'mean,bogus' for --context: unknown or repeated kind 'bogus' (kinds: mean, std, dev, trend, same)
Try 'iftrain --help' for more information." ]
	run_split iftrain -w 3 --context mean,mean w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: invalid value 'mean,mean' for --context: unknown or repeated kind 'mean' (kinds: mean, std, dev, trend, same)
Try 'iftrain --help' for more information." ]
	run_split iftrain --series-min 0.5 w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: --series-min needs --window, and no --group
Try 'iftrain --help' for more information." ]
	run_split iftrain -w 3 -g device --series-min 0.5 w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: --series-min needs --window, and no --group
Try 'iftrain --help' for more information." ]
	run_split iftrain -w 3 --series-min 1.5 w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: invalid value '1.5' for --series-min: must be at least 0.0 and at most 1.0
Try 'iftrain --help' for more information." ]
	run_split iftrain -w 3 -g device --max-groups 0 w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: invalid value '0' for --max-groups: must be at least 1
Try 'iftrain --help' for more information." ]
}

@test "iftrain: a group column that is missing, or also a feature" {
	small_series >w.tsv
	run_split iftrain -w 3 -g nope -o m.if w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: w.tsv: no column 'nope' for --group" ]
	[ ! -e m.if ]
	run_split iftrain -w 3 -g device -f device,x -o m.if w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: --group column 'device' cannot be a feature" ]
	[ ! -e m.if ]
}

@test "iftrain: a window too large for the memory cap" {
	small_series >w.tsv
	run_split iftrain -w 1048576 -g device --max-groups 100000000 -f x -o m.if w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: invalid value '1048576' for --window: the windows of 100000000 groups (--max-groups) could take more than 4 GiB
Try 'iftrain --help' for more information." ]
	[ ! -e m.if ]
}

@test "iftrain: more groups than --max-groups: no model written" {
	small_series >w.tsv
	echo old >m.if
	run_split iftrain -w 3 -g device --max-groups 1 -f x -o m.if w.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "iftrain: w.tsv:3: field 'device': a new group 'B' over --max-groups 1
iftrain: w.tsv:7: field 'device': a new group 'B' over --max-groups 1
iftrain: no model written: the input has errors" ]
	[ "$(cat m.if)" = old ]
}

@test "ifscore: more groups than --max-groups: those rows are errors, the rest scored" {
	all_kinds_model
	printf 'device\tx\nA\t1\nB\t2\nC\t3\nA\t5\nC\t4\n' >g3.tsv
	run_split ifscore -m w.if --max-groups 2 g3.tsv
	[ "$status" -eq 2 ]
	[ "$err" = "ifscore: g3.tsv:4: field 'device': a new group 'C' over --max-groups 2
ifscore: g3.tsv:6: field 'device': a new group 'C' over --max-groups 2" ]
	[ "$(printf '%s\n' "$out" | cut -f 1,2,4)" = "device	x	status
A	1	normal
B	2	normal
C	3	error
A	5	normal
C	4	error" ]
	# Its message takes its row's place among the others, on every -j.
	printf 'device\tx\nC\t1\nA\tz\nB\t1\nD\t1\n' >mixed.tsv
	run_split ifscore -j 2 -m w.if --max-groups 2 mixed.tsv
	[ "$err" = "ifscore: mixed.tsv:3: field 'x': invalid number 'z'
ifscore: mixed.tsv:5: field 'device': a new group 'D' over --max-groups 2" ]
}

@test "ifscore: the model's group column missing from the input" {
	all_kinds_model
	printf 'x\n1\n' >nog.tsv
	run_split ifscore -m w.if nog.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: nog.tsv:1: missing group column 'device' (the model's context is per 'device')" ]
}

@test "ifscore: --max-groups too large for the model's windows" {
	all_kinds_model
	run_split ifscore -m w.if --max-groups 100000000 w.tsv
	[ "$status" -eq 2 ]
	[ -z "$out" ]
	[ "$err" = "ifscore: invalid value '100000000' for --max-groups: the model's windows of 3 readings could take more than 4 GiB
Try 'ifscore --help' for more information." ]
}

@test "loader: a recipe that does not hold together is refused" {
	all_kinds_model
	printf 'x\n1\n' >one.tsv
	rejected w.if 's/^iforest 2/iforest 1/' "17: key 'window' needs model version 2"
	rejected w.if 's/^feature x@std3/feature x@sd3/' "21: feature 3: expected 'x@std3' for the context, found 'x@sd3'"
	rejected w.if '/^context/d' "20: context features need both 'window' and 'context'"
	rejected w.if 's/^context .*/context mean,bogus/' "18: context: unknown or repeated kind 'bogus'"
	rejected w.if 's/^group device/group x/' "21: group column 'x' is also a feature"
	rejected w.if 's/^window 3/window 0/' "17: window: must be at least 1"
	rejected w.if 's/^features 6/features 5/; /^feature x@same/d' "20: 5 features cannot be raw ones and their context (6 each)"
}

@test "loader: a list of the sensors with context that does not hold together is refused" {
	wave_and_noise >in.tsv
	iftrain -w 16 -o lv.if in.tsv 2>/dev/null
	head -n 2 in.tsv >one.tsv
	at="$(grep -n '^context_sensors' lv.if | cut -d: -f1)"
	rejected lv.if '1s/.*/iforest 2/' "$at: key 'context_sensors' needs model version 3"
	# Checked once the header is read, at the first tree.
	rejected lv.if 's/^context_sensors 3/context_sensors 4/' "$((at + 2)): context_sensors: 4 is not a raw feature (0..3)"
	rejected lv.if 's/^context_sensors 3/context_sensors 3 1/' "$at: context_sensors: 1 after 3: not ascending"
	rejected lv.if 's/^context_sensors 3/context_sensors/' "$at: context_sensors: missing feature indices"
	rejected lv.if 's/^context_sensors 3/context_sensors 0 1 2 3 4/' "$((at + 2)): 5 features cannot be raw ones and the context of 5"
	rejected lv.if '/^window /d; /^context /d' "$at: context features need both 'window' and 'context'"
}
