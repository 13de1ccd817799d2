package runner

import (
	"github.com/snapflow/snapflow/internal/lambdart"
)

// FunctionSpec returns a local Lambda registration of the function that
// runs handler (functions/<handler>) as the runner starts it: the same
// bootstrap, the template's environment and memory size, the local AWS's
// endpoint and the simulated clock. Benchmarks register copies under other
// names on their own lambdart.Server to measure cold starts.
func (r *Runner) FunctionSpec(handler string) (lambdart.Function, bool) {
	for _, f := range r.allFunctions() {
		if f.Handler != handler || r.bootstraps[handler] == "" {
			continue
		}
		env := r.functionEnv(f.Env)
		env["AWS_ACCESS_KEY_ID"] = "bench"
		return lambdart.Function{
			Name: f.Name, ARN: f.ARN, Bootstrap: r.bootstraps[handler], Handler: "bootstrap",
			Env: env, Timeout: f.Timeout, MemoryMB: f.MemoryMB, MaxConcurrency: 1,
		}, true
	}
	return lambdart.Function{}, false
}
