//go:build !ihsmfirmware

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

const pinUsageText = `usage: ihsm pin change --new-pin-file F [--pin-file F] [--target T] [--root F]

Replaces the partition PIN (ChangePin). The current PIN comes from --pin-file
or IHSM_PIN, as for every command with a session; the new one only from
--new-pin-file, never from the command line. Both travel inside the session
channel.
`

func runPin(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, pinUsageText)
		if len(args) == 0 {
			return exitError{2}
		}
		return nil
	}
	if args[0] != "change" {
		fmt.Fprintf(stderr, "ihsm pin: unknown subcommand %q\n\n%s", args[0], pinUsageText)
		return exitError{2}
	}
	fs, conn := hsmFlags("pin change", stderr, true)
	var newPINFile string
	fs.StringVar(&newPINFile, "new-pin-file", "", "file holding the new PIN")
	pos, err := hsmParse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return hsmUsage(fs, "unexpected argument %q", pos[0])
	}
	if newPINFile == "" {
		return hsmUsage(fs, "--new-pin-file is required")
	}
	next, err := readPINFile(newPINFile)
	if err != nil {
		return fmt.Errorf("--new-pin-file: %w", err)
	}
	defer clear(next)
	ctx, s, done, err := conn.session()
	if err != nil {
		return err
	}
	defer done()
	if err := s.do(ctx, func() error { return s.ChangePin(ctx, s.pin, next) }); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "PIN changed")
	return nil
}

// readPINFile reads a PIN file: its content without the final line break.
func readPINFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pin := []byte(strings.TrimRight(string(b), "\r\n"))
	clear(b)
	if len(pin) == 0 {
		return nil, errors.New("file is empty")
	}
	return pin, nil
}
