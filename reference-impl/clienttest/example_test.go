package clienttest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"

	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/reference-impl/server"
	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/wire"
)

// Example embeds the reference HSM in-process, provisions its partition,
// makes a P-256 key and uses it as a crypto.Signer. Over a socket only the
// transport changes: transport.Dial(ctx, "unix:///path/partition-0.sock").
func Example() {
	ctx := context.Background()
	dev, err := device.New(device.Config{FirmwareVersion: "example",
		FirmwareMeasurement: sha512.Sum384([]byte("example")), SelfTestInterval: -1, PINIterations: 1000})
	if err != nil {
		panic(err)
	}
	defer dev.Close()
	ep, _ := dev.Partition(0)
	c := client.New(server.NewInProcess(ep))

	pin := []byte("example pin 1234")
	if _, err := c.EstablishCredential(ctx, pin); err != nil {
		panic(err)
	}
	s, err := c.OpenSession(ctx, pin)
	if err != nil {
		panic(err)
	}
	defer s.Close(ctx)
	k, err := s.GenerateKey(ctx, &wire.GenerateKeyRequest{Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign | wire.KeyUsageVerify})
	if err != nil {
		panic(err)
	}
	signer, err := s.Signer(k.KeyHandle)
	if err != nil {
		panic(err)
	}
	digest := sha256.Sum256([]byte("hello"))
	sig, err := signer.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		panic(err)
	}
	fmt.Println("verifies:", ecdsa.VerifyASN1(signer.Public().(*ecdsa.PublicKey), digest[:], sig))
	// Output: verifies: true
}
