//go:build !linux

package lambdart

import "os/exec"

func setProcAttrs(*exec.Cmd) {}

func killProcess(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
