//go:build !linux

package runner

import "os/exec"

func setEngineProcAttrs(*exec.Cmd) {}

func killEngine(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
