package runner

import (
	"os/exec"
	"syscall"
)

// setEngineProcAttrs has the kernel kill node if the runner dies.
func setEngineProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

func killEngine(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
