package clienttest

import (
	"context"
	"crypto/sha512"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/reference-impl/server"
	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// TestTCPPipelinedSessions serves the device on loopback TCP and runs
// several sessions at once over ONE connection, so their requests are
// pipelined and the responses routed back by request_id.
func TestTCPPipelinedSessions(t *testing.T) {
	dev, err := device.New(device.Config{FirmwareVersion: "tcp", FirmwareMeasurement: sha512.Sum384([]byte("tcp")),
		SelfTestInterval: -1, PINIterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	dir, err := os.MkdirTemp("", "ihsm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := server.Listen(server.Config{Device: dev, SocketDir: filepath.Join(dir, "s"), TCPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	var target string
	for _, ep := range srv.Endpoints() {
		if ep.Network == "tcp" && ep.Partition == 0 {
			target = ep.Target()
		}
	}
	if target == "" {
		t.Fatal("no TCP endpoint")
	}
	tr, err := transport.Dial(bg, target)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c := client.New(tr)
	if _, err := c.EstablishCredential(bg, testPIN); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 4; i++ {
		s, err := c.OpenSession(bg, testPIN)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(bg)
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := s.GenerateKey(bg, &wire.GenerateKeyRequest{Kind: wire.KeyKindAes256, Usage: wire.KeyUsageEncrypt | wire.KeyUsageDecrypt})
			if err != nil {
				errs <- err
				return
			}
			for j := 0; j < 50; j++ {
				ct, err := s.Encrypt(bg, &wire.EncryptRequest{KeyHandle: k.KeyHandle, Algorithm: wire.AlgorithmAesGcm, Plaintext: []byte{byte(j)}})
				if err != nil {
					errs <- err
					return
				}
				pt, err := s.Decrypt(bg, &wire.DecryptRequest{KeyHandle: k.KeyHandle, Algorithm: wire.AlgorithmAesGcm, Ciphertext: ct.Ciphertext, IV: ct.IV})
				if err != nil {
					errs <- err
					return
				}
				if len(pt.Plaintext) != 1 || pt.Plaintext[0] != byte(j) {
					errs <- fmt.Errorf("round trip %d gave %x", j, pt.Plaintext)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
