package clienttest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// selfSigned makes a certificate whose key is on the device.
func selfSigned(t *testing.T, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hsm.test"},
		DNSNames:     []string{"hsm.test"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Fatalf("certificate signed by the device does not verify: %v", err)
	}
	return cert
}

func TestSignerCreateCertificate(t *testing.T) {
	_, c := provisioned(t)
	s := session(t, c)
	for _, kind := range []wire.KeyKind{wire.KeyKindEccP256, wire.KeyKindEccP384, wire.KeyKindRsa2048, wire.KeyKindEd25519} {
		t.Run(kind.String(), func(t *testing.T) {
			k := generate(t, s, kind, wire.KeyUsageSign|wire.KeyUsageVerify)
			signer, err := s.Signer(k.KeyHandle)
			if err != nil {
				t.Fatal(err)
			}
			selfSigned(t, signer)
		})
	}
	aes := generate(t, s, wire.KeyKindAes256, wire.KeyUsageEncrypt)
	if _, err := s.Signer(aes.KeyHandle); err == nil {
		t.Fatal("an AES key became a crypto.Signer")
	}
}

// TestTLSHandshake runs a TLS 1.3 server whose private key lives in the
// HSM and completes a handshake with a client that trusts its certificate.
func TestTLSHandshake(t *testing.T) {
	_, c := provisioned(t)
	s := session(t, c)
	for _, kind := range []wire.KeyKind{wire.KeyKindEccP256, wire.KeyKindRsa2048} {
		t.Run(kind.String(), func(t *testing.T) {
			k := generate(t, s, kind, wire.KeyUsageSign|wire.KeyUsageVerify)
			signer, err := s.Signer(k.KeyHandle)
			if err != nil {
				t.Fatal(err)
			}
			cert := selfSigned(t, signer)
			l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
				Certificates: []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: signer, Leaf: cert}},
				MinVersion:   tls.VersionTLS13,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				io.Copy(conn, conn)
			}()
			pool := x509.NewCertPool()
			pool.AddCert(cert)
			conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "hsm.test"})
			if err != nil {
				t.Fatalf("handshake with the HSM-held key: %v", err)
			}
			defer conn.Close()
			conn.Write([]byte("ping"))
			buf := make([]byte, 4)
			if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping" {
				t.Fatalf("echo over TLS: %q, %v", buf, err)
			}
		})
	}
}

// TestOpenSSLVerifies checks that ECDSA, RSA and Ed25519 signatures made by
// the device verify with the openssl command from the exported PEM.
func TestOpenSSLVerifies(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	_, c := provisioned(t)
	s := session(t, c)
	dir := t.TempDir()
	msg := []byte("a message for openssl to check")
	msgFile := filepath.Join(dir, "msg")
	os.WriteFile(msgFile, msg, 0o644)
	d := sha256.Sum256(msg)
	for _, tc := range []struct {
		name string
		kind wire.KeyKind
		alg  wire.Algorithm
		data []byte
		args []string // after the public key and signature files
	}{
		{"ecdsa-p256", wire.KeyKindEccP256, wire.AlgorithmEcdsaSha256, d[:], []string{"dgst", "-sha256"}},
		{"rsa-pkcs1", wire.KeyKindRsa2048, wire.AlgorithmRsaPkcs1Sha256, d[:], []string{"dgst", "-sha256"}},
		{"rsa-pss", wire.KeyKindRsa2048, wire.AlgorithmRsaPssSha256, d[:], []string{"dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1"}},
		{"ed25519", wire.KeyKindEd25519, wire.AlgorithmEd25519, msg, []string{"pkeyutl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := generate(t, s, tc.kind, wire.KeyUsageSign|wire.KeyUsageVerify)
			pub, err := s.GetPublicKey(bg, &wire.GetPublicKeyRequest{KeyHandle: k.KeyHandle})
			if err != nil {
				t.Fatal(err)
			}
			pubFile := filepath.Join(dir, tc.name+".pem")
			os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub.PublicKey}), 0o644)
			sig, err := s.Sign(bg, &wire.SignRequest{KeyHandle: k.KeyHandle, Algorithm: tc.alg, Data: tc.data})
			if err != nil {
				t.Fatal(err)
			}
			sigFile := filepath.Join(dir, tc.name+".sig")
			os.WriteFile(sigFile, sig.Signature, 0o644)
			run := func(sigPath string) ([]byte, error) {
				var args []string
				if tc.args[0] == "pkeyutl" {
					args = []string{"pkeyutl", "-verify", "-pubin", "-inkey", pubFile, "-rawin", "-in", msgFile, "-sigfile", sigPath}
				} else {
					args = append(append([]string{}, tc.args...), "-verify", pubFile, "-signature", sigPath, msgFile)
				}
				return exec.Command(openssl, args...).CombinedOutput()
			}
			if out, err := run(sigFile); err != nil {
				t.Fatalf("openssl rejects the device's signature: %v\n%s", err, out)
			}
			// And openssl must reject an altered signature, so the check
			// above can fail.
			bad := append([]byte(nil), sig.Signature...)
			bad[len(bad)-3] ^= 0x40
			badFile := sigFile + ".bad"
			os.WriteFile(badFile, bad, 0o644)
			if out, err := run(badFile); err == nil {
				t.Fatalf("openssl accepted an altered signature:\n%s", out)
			}
		})
	}
}

func TestConcurrentSessions(t *testing.T) {
	h, c := provisioned(t)
	const sessions, workers, ops = 4, 4, 20
	var wg sync.WaitGroup
	errs := make(chan error, sessions*workers)
	for i := 0; i < sessions; i++ {
		// Each session on its own connection, as separate processes would.
		cl := dial(t, h.target)
		s := session(t, cl)
		k := generate(t, s, wire.KeyKindEccP256, wire.KeyUsageSign|wire.KeyUsageVerify)
		signer, err := s.Signer(k.KeyHandle)
		if err != nil {
			t.Fatal(err)
		}
		// Several goroutines share each session.
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < ops; j++ {
					d := sha256.Sum256([]byte{byte(j)})
					sig, err := signer.Sign(nil, d[:], crypto.SHA256)
					if err != nil {
						errs <- err
						return
					}
					if err := stdVerify(signer.Public(), wire.AlgorithmEcdsaSha256, d[:], sig); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	_ = c
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// tamper is a transport between the client and a real device that lets a
// test alter response frames.
type tamper struct {
	transport.Transport
	edit func(op uint16, frame []byte) []byte
}

func (m *tamper) RoundTrip(ctx context.Context, frame []byte) ([]byte, error) {
	out, err := m.Transport.RoundTrip(ctx, frame)
	if err != nil {
		return nil, err
	}
	h, _, err := wire.DecodeResponse(out)
	if err != nil {
		return out, nil
	}
	return m.edit(h.Opcode, out), nil
}

func TestTamperedCredentialKeyRefused(t *testing.T) {
	h, _ := provisioned(t)
	tr, err := transport.Dial(bg, h.target)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// Replace the credential public key with one the attacker holds; the
	// device's signature no longer covers it.
	m := &tamper{Transport: tr, edit: func(op uint16, f []byte) []byte {
		if op != wire.OpGetCredentialKey {
			return f
		}
		rh, env, _ := wire.DecodeResponse(f)
		var r wire.GetCredentialKeyResponse
		if wire.Unmarshal(env.Body, &r) != nil {
			return f
		}
		r.Nonce[0] ^= 1
		body, _ := wire.Marshal(&r)
		out, _ := wire.EncodeResponse(rh, wire.Envelope{Body: body})
		return out
	}}
	c := client.New(m)
	if _, err := c.OpenSession(bg, testPIN); !errors.Is(err, client.ErrUntrustedChain) {
		t.Fatalf("OpenSession over a tampered credential key: %v", err)
	}
}

func TestTamperedChannelDetected(t *testing.T) {
	h, _ := provisioned(t)
	tr, err := transport.Dial(bg, h.target)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var on bool
	m := &tamper{Transport: tr, edit: func(op uint16, f []byte) []byte {
		if on && op == wire.OpListKeys {
			f = append([]byte(nil), f...)
			f[len(f)-1] ^= 1 // inside the GCM tag of the sealed body
		}
		return f
	}}
	c := client.New(m)
	s, err := c.OpenSession(bg, testPIN)
	if err != nil {
		t.Fatal(err)
	}
	on = true
	if _, err := s.ListKeys(bg, &wire.ListKeysRequest{}); !errors.Is(err, rc.ChannelAuthFailed) {
		t.Fatalf("tampered sealed response: %v", err)
	}
	on = false
	if _, err := s.ListKeys(bg, &wire.ListKeysRequest{}); err != nil {
		t.Fatalf("the next response after a dropped one: %v", err)
	}
}

// TestInProcessTransport runs the same client through the in-process
// transport of reference-impl/server.
func TestInProcessTransport(t *testing.T) {
	h := startHSM(t)
	ep, err := h.dev.Partition(1)
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(inProcess(ep))
	if _, err := c.EstablishCredential(bg, testPIN); err != nil {
		t.Fatal(err)
	}
	s := session(t, c)
	k := generate(t, s, wire.KeyKindEd25519, wire.KeyUsageSign)
	signer, err := s.Signer(k.KeyHandle)
	if err != nil {
		t.Fatal(err)
	}
	selfSigned(t, signer)
}
