package runner

import (
	"archive/zip"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// nativeMachine is the ELF machine of this process's architecture.
var nativeMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]

// handlerSource says where a function's bootstrap came from.
type handlerSource struct {
	Path   string // the executable
	Origin string // "asset <zip>", "built from ./functions/<name>", "stand-in"
}

// prepareHandlers returns a native bootstrap per handler name: the
// template's own asset when `make build` made it for this machine's
// architecture (LAMBDA_GOARCH=<native>), else ./functions/<name> built for
// it (GOOS=linux, CGO_ENABLED=0, -tags lambda.norpc, as `make build` does)
// into dir. With standIn, a handler whose functions/<name> does not exist
// is the stand-in in testdata/standin (the same internal/steps code the
// real mains wire up).
func prepareHandlers(ctx context.Context, root, dir string, assets map[string]string, names []string, standIn bool) (map[string]handlerSource, error) {
	out := map[string]handlerSource{}
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, max(1, min(runtime.NumCPU(), 4)))
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			src, err := prepareHandler(ctx, root, dir, assets[name], name, standIn)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			out[name] = src
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// prepared remembers the bootstraps this process made, so runners that
// share a BuildDir (the tests) build each once.
var prepared sync.Map // target path -> handlerSource

func prepareHandler(ctx context.Context, root, dir, asset, name string, standIn bool) (handlerSource, error) {
	target := filepath.Join(dir, name, "bootstrap")
	if src, ok := prepared.Load(target); ok {
		if _, err := os.Stat(target); err == nil {
			return src.(handlerSource), nil
		}
	}
	src, err := prepareHandlerOnce(ctx, root, target, asset, name, standIn)
	if err == nil {
		prepared.Store(target, src)
	}
	return src, err
}

func prepareHandlerOnce(ctx context.Context, root, target, asset, name string, standIn bool) (handlerSource, error) {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return handlerSource{}, err
	}
	if asset != "" {
		if ok, err := extractNative(asset, target); err == nil && ok {
			return handlerSource{Path: target, Origin: "asset " + filepath.Base(asset)}, nil
		}
	}
	pkg := "./functions/" + name
	origin := "built from " + pkg
	var ldflags []string
	if _, err := os.Stat(filepath.Join(root, "functions", name, "main.go")); err != nil {
		if !standIn {
			return handlerSource{}, fmt.Errorf("handler %s: no functions/%s/main.go and no native asset: run `make build`", name, name)
		}
		pkg = "./internal/runner/testdata/standin"
		origin = "stand-in (no functions/" + name + " yet)"
		ldflags = []string{"-ldflags", "-X main.function=" + name}
	}
	args := append([]string{"build", "-tags", "lambda.norpc", "-trimpath"}, ldflags...)
	args = append(args, "-o", target, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return handlerSource{}, fmt.Errorf("building handler %s (%s): %v\n%s", name, pkg, err, strings.TrimSpace(string(out)))
	}
	return handlerSource{Path: target, Origin: origin}, nil
}

// extractNative copies the zip's bootstrap to target when it is an
// executable for this machine.
func extractNative(zipPath, target string) (bool, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return false, err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != "bootstrap" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return false, err
		}
		tmp := target + ".tmp"
		w, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
		if err != nil {
			rc.Close()
			return false, err
		}
		_, err = io.Copy(w, rc)
		rc.Close()
		w.Close()
		if err != nil {
			return false, err
		}
		ef, err := elf.Open(tmp)
		if err != nil {
			os.Remove(tmp)
			return false, nil
		}
		native := ef.Machine == nativeMachine
		ef.Close()
		if !native {
			os.Remove(tmp)
			return false, nil
		}
		return true, os.Rename(tmp, target)
	}
	return false, nil
}
