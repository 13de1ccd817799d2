package runner

import (
	"github.com/snapflow/snapflow/internal/lambdart"
	"github.com/snapflow/snapflow/internal/simclock"
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
		env := map[string]string{}
		for k, v := range f.Env {
			env[k] = v
		}
		env["AWS_ENDPOINT_URL"] = r.aws.URL()
		env["SNAPFLOW_S3_PATH_STYLE"] = "true"
		env[simclock.EnvURL] = r.aws.URL() + "/_localaws/clock"
		env["AWS_ACCESS_KEY_ID"] = "bench"
		env["AWS_SECRET_ACCESS_KEY"] = "local"
		env["AWS_SESSION_TOKEN"] = "local"
		return lambdart.Function{
			Name: f.Name, ARN: f.ARN, Bootstrap: r.bootstraps[handler], Handler: "bootstrap",
			Env: env, Timeout: f.Timeout, MemoryMB: f.MemoryMB, MaxConcurrency: 1,
		}, true
	}
	return lambdart.Function{}, false
}
