package stack

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var (
	lambdaRetryErrors = []string{"Snapflow.Throttled", "Snapflow.Transient", "Lambda.ServiceException", "Lambda.AWSLambdaException",
		"Lambda.SdkClientException", "Lambda.TooManyRequestsException", "States.Timeout"}
	busyErrors    = []string{"Snapflow.TargetBusy"}
	crashedErrors = []string{"Runtime.ExitError", "Sandbox.Timedout", "Lambda.Unknown"}
)

// checkLambdaTask checks a Lambda task: the optimized integration with the
// payload given, the handler's return value as the output, and the three
// retriers with backoff, a delay cap and full jitter.
func checkLambdaTask(t *testing.T, name string, st map[string]any, fn string, payload any) {
	t.Helper()
	if st["Type"] != "Task" || st["Resource"] != "arn:${AWS::Partition}:states:::lambda:invoke" || st["OutputPath"] != "$.Payload" {
		t.Errorf("%s: %v", name, st)
	}
	params := st["Parameters"].(map[string]any)
	if !strings.HasPrefix(fmt.Sprint(params["FunctionName"]), "${Functions"+fn) {
		t.Errorf("%s: invokes %v, want %s", name, params["FunctionName"], fn)
	}
	if payload == nil {
		if params["Payload.$"] != "$" {
			t.Errorf("%s: payload %v, want the state", name, params)
		}
	} else if fmt.Sprint(params["Payload"]) != fmt.Sprint(payload) {
		t.Errorf("%s: payload %v, want %v", name, params["Payload"], payload)
	}
	if _, ok := st["TimeoutSeconds"]; !ok {
		t.Errorf("%s: no TimeoutSeconds", name)
	}
	retry, _ := st["Retry"].([]any)
	if len(retry) != 3 {
		t.Fatalf("%s: %d retriers", name, len(retry))
	}
	for i, want := range []struct {
		errors                     []string
		interval, maxDel, attempts float64
	}{{busyErrors, 60, 900, 6}, {lambdaRetryErrors, 2, 60, 6}, {crashedErrors, 5, 60, 3}} {
		r := retry[i].(map[string]any)
		if fmt.Sprint(r["ErrorEquals"]) != fmt.Sprint(want.errors) || r["IntervalSeconds"] != want.interval ||
			r["BackoffRate"] != 2.0 || r["MaxAttempts"] != want.attempts || r["MaxDelaySeconds"] != want.maxDel || r["JitterStrategy"] != "FULL" {
			t.Errorf("%s: retrier %d = %v", name, i, r)
		}
		for _, e := range r["ErrorEquals"].([]any) {
			if e == "Snapflow.InvalidInput" || e == "States.ALL" || e == "States.TaskFailed" {
				t.Errorf("%s retries %v", name, e)
			}
		}
	}
}

func TestTargetDefinition(t *testing.T) {
	s := exampleStack(t)
	asl := s.definition(t, "Snapflow-target")
	if asl["StartAt"] != "Create snapshot" || asl["TimeoutSeconds"] != 43200.0 {
		t.Errorf("StartAt %v, TimeoutSeconds %v", asl["StartAt"], asl["TimeoutSeconds"])
	}
	st := states(asl)
	var names []string
	for n := range st {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"Copy done?", "Copy snapshot", "Copy?", "Create snapshot", "Export done?", "Export snapshot", "Export?",
		"Poll copy", "Poll export", "Poll snapshot", "Prune snapshots", "Snapshot done?", "Target done", "Verify export",
		"Wait for copy", "Wait for export", "Wait for snapshot"}
	if !slices.Equal(names, want) {
		t.Fatalf("states:\n got %v\nwant %v", names, want)
	}
	tasks := map[string]string{"Create snapshot": "create", "Poll snapshot": "poll", "Copy snapshot": "copy", "Poll copy": "poll",
		"Export snapshot": "export", "Poll export": "poll", "Verify export": "verify", "Prune snapshots": "prune"}
	for name, fn := range tasks {
		checkLambdaTask(t, name, st[name], fn, nil)
		if _, ok := st[name]["Catch"]; ok {
			t.Errorf("%s catches: a target's failure must fail its execution", name)
		}
	}
	// Transitions.
	next := map[string]string{
		"Create snapshot": "Wait for snapshot", "Wait for snapshot": "Poll snapshot", "Poll snapshot": "Snapshot done?",
		"Copy snapshot": "Wait for copy", "Wait for copy": "Poll copy", "Poll copy": "Copy done?",
		"Export snapshot": "Wait for export", "Wait for export": "Poll export", "Poll export": "Export done?",
		"Verify export": "Prune snapshots", "Prune snapshots": "Target done",
	}
	for from, to := range next {
		if st[from]["Next"] != to {
			t.Errorf("%s → %v, want %s", from, st[from]["Next"], to)
		}
	}
	choices := map[string][3]string{ // variable, then, else
		"Snapshot done?": {"$.done", "Copy?", "Wait for snapshot"},
		"Copy?":          {"$.hasCopy", "Copy snapshot", "Export?"},
		"Copy done?":     {"$.done", "Export?", "Wait for copy"},
		"Export?":        {"$.hasExport", "Export snapshot", "Prune snapshots"},
		"Export done?":   {"$.done", "Verify export", "Wait for export"},
	}
	for name, c := range choices {
		ch := st[name]
		rules := ch["Choices"].([]any)
		r := rules[0].(map[string]any)
		if len(rules) != 1 || r["Variable"] != c[0] || r["BooleanEquals"] != true || r["Next"] != c[1] || ch["Default"] != c[2] {
			t.Errorf("%s = %v", name, ch)
		}
	}
	for _, w := range []string{"Wait for snapshot", "Wait for copy", "Wait for export"} {
		if st[w]["SecondsPath"] != "$.waitSeconds" || st[w]["Type"] != "Wait" {
			t.Errorf("%s = %v", w, st[w])
		}
	}
	if st["Target done"]["Type"] != "Succeed" {
		t.Errorf("Target done = %v", st["Target done"])
	}
}

func TestRunDefinition(t *testing.T) {
	s := exampleStack(t)
	asl := s.definition(t, "Snapflow-run")
	if asl["StartAt"] != "Plan" || asl["TimeoutSeconds"] != 86400.0 {
		t.Errorf("StartAt %v, TimeoutSeconds %v", asl["StartAt"], asl["TimeoutSeconds"])
	}
	st := states(asl)
	checkLambdaTask(t, "Plan", st["Plan"], "plan", map[string]any{
		"policy.$": "$", "executionId.$": "$$.Execution.Id", "executionStartTime.$": "$$.Execution.StartTime"})
	if _, ok := st["Plan"]["Catch"]; ok || st["Plan"]["Next"] != "Snapshot targets" {
		t.Errorf("Plan must fail the run on its errors and go on to the Map: %v", st["Plan"])
	}

	m := st["Snapshot targets"]
	if m["Type"] != "Map" || m["ItemsPath"] != "$.items" || m["MaxConcurrency"] != 40.0 || m["ResultPath"] != "$.results" ||
		fmt.Sprint(m["ItemSelector"]) != "map[policy.$:$.spec slot.$:$.slot target.$:$$.Map.Item.Value]" || m["Next"] != "Summarize" {
		t.Errorf("Map = %v", m)
	}
	proc := m["ItemProcessor"].(map[string]any)
	if fmt.Sprint(proc["ProcessorConfig"]) != "map[Mode:INLINE]" || proc["StartAt"] != "Run target" {
		t.Errorf("ItemProcessor = %v", proc)
	}
	inner := states(proc)
	run := inner["Run target"]
	params := run["Parameters"].(map[string]any)
	if run["Resource"] != "arn:${AWS::Partition}:states:::states:startExecution.sync:2" ||
		params["StateMachineArn"] != "${WorkflowTarget2400A30A}" ||
		fmt.Sprint(params["Input"]) != "map[AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$:$$.Execution.Id policy.$:$.policy slot.$:$.slot target.$:$.target]" ||
		fmt.Sprint(run["ResultSelector"]) != "map[status:succeeded]" || run["End"] != true {
		t.Errorf("Run target = %v", run)
	}
	// A failed child (States.TaskFailed) first, so its own error name is
	// read from the cause; anything else as it is.
	catch := run["Catch"].([]any)
	c0, c1 := catch[0].(map[string]any), catch[len(catch)-1].(map[string]any)
	if len(catch) != 2 || fmt.Sprint(c0["ErrorEquals"]) != "[States.TaskFailed]" || c0["ResultPath"] != "$.error" || c0["Next"] != "Read the child's error" ||
		fmt.Sprint(c1["ErrorEquals"]) != "[States.ALL]" || c1["ResultPath"] != "$.error" || c1["Next"] != "Mark target failed" {
		t.Errorf("Run target Catch = %v", catch)
	}
	read := inner["Read the child's error"]
	if read["Type"] != "Pass" || read["Next"] != "Mark target failed with the child's error" || read["ResultPath"] != "$.child" ||
		fmt.Sprint(read["Parameters"]) != "map[execution.$:States.StringToJson($.error.Cause)]" {
		t.Errorf("Read the child's error = %v", read)
	}
	markChild := inner["Mark target failed with the child's error"]
	if markChild["Type"] != "Pass" || markChild["End"] != true ||
		fmt.Sprint(markChild["Parameters"]) != "map[error.$:$.child.execution.Error status:failed]" {
		t.Errorf("Mark target failed with the child's error = %v", markChild)
	}
	for _, r := range run["Retry"].([]any) {
		for _, e := range r.(map[string]any)["ErrorEquals"].([]any) {
			if e == "States.ALL" || e == "States.TaskFailed" {
				t.Errorf("Run target retries %v: a failed child would run twice", e)
			}
		}
	}
	mark := inner["Mark target failed"]
	if mark["Type"] != "Pass" || mark["End"] != true ||
		fmt.Sprint(mark["Parameters"]) != "map[error.$:$.error.Error status:failed]" {
		t.Errorf("Mark target failed = %v", mark)
	}

	checkLambdaTask(t, "Summarize", st["Summarize"], "summary", map[string]any{
		"plan.$": "$", "executionId.$": "$$.Execution.Id", "executionStartTime.$": "$$.Execution.StartTime"})
	if st["Summarize"]["Next"] != "Publish run event" {
		t.Errorf("Summarize → %v", st["Summarize"]["Next"])
	}

	pub := st["Publish run event"]
	if pub["Resource"] != "arn:${AWS::Partition}:states:::events:putEvents" || pub["ResultPath"] != nil ||
		fmt.Sprint(pub["Parameters"]) != "map[Entries:[map[Detail.$:$ DetailType:Snapflow Run Completed Source:snapflow]]]" ||
		pub["Next"] != "Any target failed?" {
		t.Errorf("Publish run event = %v", pub)
	}
	if _, discard := pub["ResultPath"]; !discard {
		t.Error("Publish run event keeps its result over the summary")
	}

	choice := st["Any target failed?"]
	rule := choice["Choices"].([]any)[0].(map[string]any)
	if rule["Variable"] != "$.failed" || rule["NumericGreaterThan"] != 0.0 || rule["Next"] != "Notify failure" || choice["Default"] != "Run succeeded" {
		t.Errorf("Any target failed? = %v", choice)
	}
	notify := st["Notify failure"]
	np := notify["Parameters"].(map[string]any)
	if notify["Resource"] != "arn:${AWS::Partition}:states:::sns:publish" || np["Subject.$"] != "$.subject" || np["Message.$"] != "$.message" ||
		!strings.HasPrefix(fmt.Sprint(np["TopicArn"]), "${AlertsTopic") || notify["Next"] != "Targets failed" {
		t.Errorf("Notify failure = %v", notify)
	}
	if fail := st["Targets failed"]; fail["Type"] != "Fail" || fail["Error"] != "Snapflow.TargetsFailed" {
		t.Errorf("Targets failed = %v", fail)
	}
	if st["Run succeeded"]["Type"] != "Succeed" {
		t.Errorf("Run succeeded = %v", st["Run succeeded"])
	}
}

// Fields of the Amazon States Language (JSONPath flavour) that
// aws-local-stepfunctions runs, by state type (its docs/feature-support.md:
// Task resources, Wait Seconds/SecondsPath, Map Iterator/ItemProcessor/
// ItemSelector/ItemsPath/MaxConcurrency, Retry/Catch, Choice rules and the
// intrinsic functions; not: Distributed Map, ItemReader, ItemBatcher,
// ResultWriter, ToleratedFailure*, HeartbeatSeconds, Credentials). JSONata
// (QueryLanguage, Arguments, Output, {% %}) and Assign are ignored by the
// engine, so they must not be there at all.
var localFields = map[string][]string{
	"*":       {"Type", "Comment", "Next", "End", "InputPath", "OutputPath"},
	"Task":    {"Resource", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath"},
	"Pass":    {"Parameters", "Result", "ResultPath"},
	"Wait":    {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
	"Choice":  {"Choices", "Default"},
	"Map":     {"ItemProcessor", "Iterator", "ItemSelector", "Parameters", "ItemsPath", "MaxConcurrency", "MaxConcurrencyPath", "ResultSelector", "ResultPath", "Retry", "Catch"},
	"Succeed": {},
	"Fail":    {"Error", "Cause"},
}

var intrinsic = regexp.MustCompile(`States\.[A-Za-z]+\(`)
var localIntrinsics = []string{"States.Format(", "States.StringToJson(", "States.JsonToString(", "States.Array(", "States.ArrayPartition(",
	"States.ArrayContains(", "States.ArrayRange(", "States.ArrayGetItem(", "States.ArrayLength(", "States.ArrayUnique(",
	"States.Base64Encode(", "States.Base64Decode(", "States.Hash(", "States.JsonMerge(", "States.MathRandom(", "States.MathAdd(",
	"States.StringSplit(", "States.UUID("}

func TestLocalEngineFeatures(t *testing.T) {
	s := exampleStack(t)
	for _, name := range []string{"Snapflow-run", "Snapflow-target"} {
		asl := s.definition(t, name)
		for k := range asl {
			if !slices.Contains([]string{"StartAt", "States", "TimeoutSeconds", "Comment"}, k) {
				t.Errorf("%s: top-level field %s", name, k)
			}
		}
		checkStates(t, name, asl)
	}
}

func checkStates(t *testing.T, path string, machine map[string]any) {
	t.Helper()
	for name, v := range machine["States"].(map[string]any) {
		st := v.(map[string]any)
		where := path + "/" + name
		typ, _ := st["Type"].(string)
		allowed, ok := localFields[typ]
		if !ok {
			t.Errorf("%s: state type %q", where, typ)
			continue
		}
		for k := range st {
			if !slices.Contains(localFields["*"], k) && !slices.Contains(allowed, k) {
				t.Errorf("%s: field %s is not run by the local engine", where, k)
			}
		}
		if typ == "Task" && !strings.HasPrefix(fmt.Sprint(st["Resource"]), "arn:${AWS::Partition}:") {
			t.Errorf("%s: resource %v", where, st["Resource"])
		}
		if typ == "Map" {
			proc := st["ItemProcessor"].(map[string]any)
			if cfg, ok := proc["ProcessorConfig"].(map[string]any); ok && (cfg["Mode"] != "INLINE" || len(cfg) != 1) {
				t.Errorf("%s: processor %v (the local engine runs inline Maps only)", where, cfg)
			}
			checkStates(t, where, proc)
		}
		walk(st, func(key string, value any) {
			if key == "Assign" || key == "QueryLanguage" || key == "Arguments" || key == "Output" {
				t.Errorf("%s: JSONata/variables field %s", where, key)
			}
			str, ok := value.(string)
			if !ok {
				return
			}
			if strings.Contains(str, "{%") {
				t.Errorf("%s: JSONata expression %q", where, str)
			}
			for _, f := range intrinsic.FindAllString(str, -1) {
				if !slices.Contains(localIntrinsics, f) {
					t.Errorf("%s: intrinsic %s", where, f)
				}
			}
			if strings.HasSuffix(key, ".$") && !strings.HasPrefix(str, "$") && !strings.HasPrefix(str, "States.") {
				t.Errorf("%s: %s = %q is not a JSONPath", where, key, str)
			}
		})
	}
}

// walk calls fn for every key and value below v, except nested States
// (checked on their own).
func walk(v any, fn func(key string, value any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "States" {
				continue
			}
			fn(k, e)
			walk(e, fn)
		}
	case []any:
		for _, e := range x {
			walk(e, fn)
		}
	}
}
