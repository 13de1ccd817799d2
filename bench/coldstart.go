package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/snapflow/snapflow/internal/lambdart"
	"github.com/snapflow/snapflow/internal/runner"
)

// ColdStart is one handler's init and invoke times through the local
// Lambda runtime API (median and maximum of Samples cold starts, real
// time on this machine).
type ColdStart struct {
	Handler       string  `json:"handler"`
	Samples       int     `json:"samples"`
	InitMedianMS  float64 `json:"initMedianMs"`
	InitMaxMS     float64 `json:"initMaxMs"`
	ColdInvokeMS  float64 `json:"coldInvokeMedianMs"`
	WarmInvokeMS  float64 `json:"warmInvokeMedianMs"`
	InitVsFloor   float64 `json:"initVsFloor"`
	BootstrapSize int64   `json:"bootstrapBytes"`
}

// ZipSize is a function's deployment package (arm64).
type ZipSize struct {
	Handler string `json:"handler"`
	Path    string `json:"path"`
	Bytes   int64  `json:"bytes"`
}

// buildHello builds bench/hello as `make build` builds the handlers.
func buildHello(ctx context.Context, root, dir, goarch string) (string, error) {
	out := filepath.Join(dir, "hello-"+goarch, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./bench/hello")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building bench/hello: %v\n%s", err, b)
	}
	return out, nil
}

// zipSize is the size of a zip holding path as "bootstrap" (deflated, as
// cmd/zipbootstrap writes it).
func zipSize(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(data); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(buf.Len()), nil
}

// coldStarts starts each handler (and the hello-world floor) Samples times
// in a fresh sandbox and invokes it twice (cold, then warm), with `{}`:
// the handlers reject it at once, so the invoke time is the handler's
// fixed overhead; the init time is what a cold start adds.
func (c *Config) coldStarts(ctx context.Context, r *runner.Runner, tmp string) ([]ColdStart, []ZipSize, error) {
	hello, err := buildHello(ctx, c.Root, tmp, "amd64")
	if err != nil {
		return nil, nil, err
	}
	if goarch := os.Getenv("GOARCH"); goarch != "" && goarch != "amd64" {
		hello, err = buildHello(ctx, c.Root, tmp, goarch)
		if err != nil {
			return nil, nil, err
		}
	}
	specs := map[string]lambdart.Function{}
	handlers := append(c.allHandlers(r), "hello-world")
	for _, h := range handlers {
		if h == "hello-world" {
			specs[h] = lambdart.Function{Name: "hello", Bootstrap: hello, Handler: "bootstrap", Timeout: 10 * time.Second, MemoryMB: 128,
				Env: map[string]string{"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "local"}}
			continue
		}
		if f, ok := r.FunctionSpec(h); ok {
			specs[h] = f
		}
	}
	srv := lambdart.New(lambdart.Options{Region: runner.Region})
	defer srv.Close()
	var out []ColdStart
	// Interleave the handlers so machine noise spreads evenly.
	inits, colds, warms := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	for i := 0; i < c.ColdSamples; i++ {
		for _, h := range handlers {
			spec, ok := specs[h]
			if !ok {
				continue
			}
			spec.Name = fmt.Sprintf("%s-cold-%d", h, i)
			spec.ARN = "arn:aws:lambda:" + runner.Region + ":" + runner.AccountID + ":function:" + spec.Name
			spec.MaxConcurrency = 1
			if err := srv.Register(spec); err != nil {
				return nil, nil, err
			}
			res, err := srv.Invoke(ctx, spec.Name, []byte(`{}`))
			if err != nil {
				return nil, nil, fmt.Errorf("cold start of %s: %w", h, err)
			}
			if !res.Cold {
				return nil, nil, fmt.Errorf("cold start of %s: the sandbox was warm", h)
			}
			inits[h] = append(inits[h], ms(res.InitDuration))
			colds[h] = append(colds[h], ms(res.Duration))
			res, err = srv.Invoke(ctx, spec.Name, []byte(`{}`))
			if err != nil {
				return nil, nil, err
			}
			warms[h] = append(warms[h], ms(res.Duration))
		}
	}
	floor := median(inits["hello-world"])
	for _, h := range handlers {
		if len(inits[h]) == 0 {
			continue
		}
		cs := ColdStart{Handler: h, Samples: len(inits[h]), InitMedianMS: median(inits[h]), InitMaxMS: maxOf(inits[h]),
			ColdInvokeMS: median(colds[h]), WarmInvokeMS: median(warms[h])}
		if floor > 0 {
			cs.InitVsFloor = cs.InitMedianMS / floor
		}
		if st, err := os.Stat(specs[h].Bootstrap); err == nil {
			cs.BootstrapSize = st.Size()
		}
		out = append(out, cs)
	}

	var zips []ZipSize
	for _, h := range c.allHandlers(r) {
		p := filepath.Join(c.Root, "build", "functions", h+".zip")
		if st, err := os.Stat(p); err == nil {
			zips = append(zips, ZipSize{Handler: h, Path: "build/functions/" + h + ".zip", Bytes: st.Size()})
		}
	}
	if arm, err := buildHello(ctx, c.Root, tmp, "arm64"); err == nil {
		if n, err := zipSize(arm); err == nil {
			zips = append(zips, ZipSize{Handler: "hello-world", Path: "(bench/hello, arm64, zipped)", Bytes: n})
		}
	}
	return out, zips, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
