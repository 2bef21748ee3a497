package servetest

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Module is the import path of the ihsm command.
const Module = "github.com/openihsm/openihsm/cmd/ihsm"

// Build builds the ihsm command with the given build tags into a temporary
// directory of t and returns its path. [FirmwareTags] builds the device as
// it ships: `ihsm serve` and `ihsm version` only.
func Build(t testing.TB, tags string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ihsm")
	args := []string{"build", "-o", bin}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, Module)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	return bin
}

// FirmwareTags are the build tags of the firmware build.
const FirmwareTags = "ihsmfirmware"

// Process is a running `ihsm serve`.
type Process struct {
	Cmd *exec.Cmd
	// Target is the endpoint of partition 0, as serve printed it.
	Target string
	stderr syncBuffer
}

// Stderr returns what the process has written to its standard error so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Start starts `bin serve args...` and waits up to a minute for its
// "ready" line. The caller ends the process; [Process.Stop] does it
// gracefully.
func Start(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	p := &Process{Cmd: exec.Command(bin, append([]string{"serve"}, args...)...)}
	p.Cmd.Stderr = &p.stderr
	out, err := p.Cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				p.Cmd.Wait()
				t.Fatalf("ihsm serve exited before ready: %s", p.Stderr())
			}
			if f := strings.Fields(l); len(f) == 3 && f[0] == "partition" && f[1] == "0" && strings.HasPrefix(f[2], "unix://") {
				p.Target = f[2]
			}
			if l == "ready" {
				go func() {
					for range lines {
					}
				}()
				return p
			}
		case <-deadline:
			p.Cmd.Process.Kill()
			p.Cmd.Wait()
			t.Fatal("ihsm serve not ready after a minute")
		}
	}
}

// Stop ends the process with SIGTERM, as a service manager would, and
// reports an error if it does not exit cleanly within ten seconds.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("ihsm serve: %v", err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- p.Cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ihsm serve after SIGTERM: %v\n%s", err, p.Stderr())
		}
	case <-time.After(10 * time.Second):
		p.Cmd.Process.Kill()
		<-done
		t.Errorf("ihsm serve did not stop within 10 s of SIGTERM")
	}
}

// syncBuffer is a bytes.Buffer the process's stderr copier and the test
// can use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
