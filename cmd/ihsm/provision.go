//go:build !ihsmfirmware

package main

import (
	"encoding/hex"
	"fmt"
	"io"
)

// runProvision establishes the partition credential: the partition goes
// from unprovisioned to provisioned with the PIN of --pin-file (or
// IHSM_PIN). The PIN is sealed to the device's credential key only after
// the device's signature over that key verifies against its certificate
// chain (pinned with --root).
func runProvision(args []string, stdout, stderr io.Writer) error {
	fs, conn := hsmFlags("provision", stderr, true)
	pos, err := hsmParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return hsmUsage(fs, "unexpected argument %q", pos[0])
	}
	pin, err := conn.pin()
	if err != nil {
		return err
	}
	defer clear(pin)
	ctx, cl, done, err := conn.dial()
	if err != nil {
		return err
	}
	defer done()
	id, err := cl.EstablishCredential(ctx, pin)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "provisioned partition %s\n", hex.EncodeToString(id))
	return nil
}
