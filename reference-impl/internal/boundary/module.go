package boundary

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/identity"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/vault"
)

// Store is the record store the module persists its state in
// (reference-impl/internal/statedir implements it over a directory).
type Store = vault.Store

// DeviceState is the spec's DeviceState enum.
type DeviceState uint32

// Device states.
const (
	StateSelfTest    DeviceState = 1
	StateOperational DeviceState = 2
	StateError       DeviceState = 3
	StateTampered    DeviceState = 4
	StateZeroized    DeviceState = 5
)

// PartitionState is the spec's PartitionState enum.
type PartitionState uint32

// Partition states.
const (
	PartitionUnprovisioned PartitionState = 1
	PartitionProvisioned   PartitionState = 2
	PartitionLockedOut     PartitionState = 3
)

// Options configure a module.
type Options struct {
	// Partitions is the number of partitions (default 1). It is fixed at
	// first start; a later Open with another count is refused.
	Partitions int
	// Serial is the device serial used at first start (default: random).
	Serial string
	// FirmwareMeasurement is the SHA-384 of the running firmware binary and
	// FirmwareVersion its version; both go into the attestation certificate.
	FirmwareMeasurement [48]byte
	FirmwareVersion     string
	// FuseSecret, if set, is the 32-byte unique device secret; otherwise the
	// store's "fuse" record is used (package vault).
	FuseSecret []byte
	// Clock returns the current time (default time.Now); PIN backoff uses it.
	Clock func() time.Time
	// SelfTest configures the self-test registry. Its ForceFail field is for
	// tests only.
	SelfTest selftest.Options
	// MaxKeys is the per-partition key limit (default keys.MaxKeys).
	MaxKeys int
	// PINIterations is the PBKDF2 iteration count for new PIN verifiers
	// (default 20000).
	PINIterations int
}

// Module is the security boundary of one device.
type Module struct {
	opts  Options
	store Store
	vault *vault.Vault
	tests *selftest.Registry

	state   atomic.Uint32
	errMu   sync.Mutex
	lastErr error

	mu    sync.RWMutex // guards id and parts against ZeroizeAll
	id    *identity.Identity
	parts []*Partition
}

// deviceRecord is the "device" vault record.
type deviceRecord struct {
	Serial     string `cbor:"1,keyasint"`
	Partitions int    `cbor:"2,keyasint"`
	// State is StateOperational, or StateTampered / StateZeroized after
	// ZeroizeAll, which survive a restart.
	State DeviceState `cbor:"3,keyasint"`
}

const (
	recDevice   = vault.SentinelRecord
	recIdentity = "identity"
)

func partitionRecordName(i int) string { return fmt.Sprintf("partition-%d", i) }

// Open starts the module over store: it runs the power-on self-tests, then
// loads (or, at first start, creates and persists) the device identity and
// every partition. A corrupt or foreign state is refused with an error
// matching ErrStateCorrupt or ErrStateForeign. A self-test failure is not an
// Open error: the module is returned in StateError.
func Open(store Store, opts Options) (*Module, error) {
	if opts.Partitions <= 0 {
		opts.Partitions = 1
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.PINIterations <= 0 {
		opts.PINIterations = 20000
	}
	m := &Module{opts: opts, store: store, tests: selftest.New(opts.SelfTest)}
	m.state.Store(uint32(StateSelfTest))
	// A device zeroized or tampered in the Error state recorded its final
	// state without cryptography (ZeroizeAll); it stays there.
	if final, ok, err := vault.FinalState(store); err != nil {
		return nil, err
	} else if ok && (DeviceState(final) == StateTampered || DeviceState(final) == StateZeroized) {
		m.state.Store(uint32(final))
		return m, nil
	}
	if err := m.tests.Run(); err != nil {
		m.enterError(err)
		return m, nil
	}
	v, _, err := vault.Open(store, opts.FuseSecret)
	if err != nil {
		return nil, err
	}
	m.vault = v
	if err := m.load(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Module) load() error {
	var dev deviceRecord
	rec, err := m.vault.Get(recDevice)
	switch {
	case errors.Is(err, vault.ErrNoRecord):
		dev = deviceRecord{Serial: m.opts.Serial, Partitions: m.opts.Partitions, State: StateOperational}
		if dev.Serial == "" {
			var b [8]byte
			rand.Read(b[:])
			dev.Serial = "IHSM-" + hex.EncodeToString(b[:])
		}
		// The identity is written before the sentinel device record, so a
		// crash in between leaves a state that simply starts over.
		id, err := identity.Create(m.identityParams(dev.Serial))
		if err != nil {
			return err
		}
		if err := m.putIdentity(id); err != nil {
			return err
		}
		m.id = id
		if err := m.putDevice(dev); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		err := cbor.Unmarshal(rec.Expose(), &dev)
		rec.Clear()
		if err != nil {
			return fmt.Errorf("%w: device record: %v", vault.ErrStateCorrupt, err)
		}
		if dev.Partitions != m.opts.Partitions {
			return fmt.Errorf("boundary: state has %d partitions, %d requested", dev.Partitions, m.opts.Partitions)
		}
		if dev.State == StateTampered || dev.State == StateZeroized {
			m.state.Store(uint32(dev.State))
			return nil
		}
		idRec, err := m.vault.Get(recIdentity)
		if err != nil {
			return fmt.Errorf("identity: %w", err)
		}
		id, reissued, err := identity.Load(idRec, m.identityParams(dev.Serial))
		idRec.Clear()
		if err != nil {
			return fmt.Errorf("%w: %v", vault.ErrStateCorrupt, err)
		}
		if reissued {
			if err := m.putIdentity(id); err != nil {
				return err
			}
		}
		m.id = id
	}
	m.parts = make([]*Partition, dev.Partitions)
	for i := range m.parts {
		p, err := loadPartition(m, i)
		if err != nil {
			return fmt.Errorf("partition %d: %w", i, err)
		}
		m.parts[i] = p
	}
	m.state.Store(uint32(StateOperational))
	return nil
}

func (m *Module) identityParams(serial string) identity.Params {
	return identity.Params{Serial: serial, FirmwareMeasurement: m.opts.FirmwareMeasurement,
		FirmwareVersion: m.opts.FirmwareVersion, Now: m.opts.Clock()}
}

func (m *Module) putIdentity(id *identity.Identity) error {
	b, err := id.Marshal()
	if err != nil {
		return err
	}
	defer b.Clear()
	return m.vault.Put(recIdentity, b.Expose())
}

func (m *Module) putDevice(d deviceRecord) error {
	b, err := cbor.Marshal(d)
	if err != nil {
		return err
	}
	return m.vault.Put(recDevice, b)
}

// State returns the device state.
func (m *Module) State() DeviceState { return DeviceState(m.state.Load()) }

// Err returns the failure that put the module into StateError, if any.
func (m *Module) Err() error {
	m.errMu.Lock()
	defer m.errMu.Unlock()
	return m.lastErr
}

func (m *Module) enterError(err error) {
	m.errMu.Lock()
	if m.lastErr == nil {
		m.lastErr = err
	}
	m.errMu.Unlock()
	// Tampered and Zeroized are final; only SelfTest/Operational go to Error.
	for {
		s := m.state.Load()
		if DeviceState(s) != StateOperational && DeviceState(s) != StateSelfTest {
			return
		}
		if m.state.CompareAndSwap(s, uint32(StateError)) {
			return
		}
	}
}

// check returns the error for a service request in the current state.
func (m *Module) check() error {
	switch DeviceState(m.state.Load()) {
	case StateOperational:
		return nil
	case StateTampered:
		return ErrDeviceTampered
	case StateZeroized:
		return ErrDeviceZeroized
	}
	return ErrDeviceNotOperational
}

// fail routes a self-test/PCT failure into StateError and returns err.
func (m *Module) fail(err error) error {
	if errors.Is(err, selftest.ErrSelfTestFailed) {
		m.enterError(err)
	}
	return err
}

// Serial returns the device serial ("" once zeroized or tampered).
func (m *Module) Serial() string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.id == nil {
		return ""
	}
	return m.id.Serial()
}

// FirmwareVersion returns the running firmware version.
func (m *Module) FirmwareVersion() string { return m.opts.FirmwareVersion }

// FirmwareMeasurement returns the running firmware measurement.
func (m *Module) FirmwareMeasurement() [48]byte { return m.opts.FirmwareMeasurement }

// CertificateChain returns the DER certificates, root first (root CA,
// device identity, attestation key).
func (m *Module) CertificateChain() ([][]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.id.Chain(), nil
}

// DeviceAttestation signs a device attestation report (COSE_Sign1, package
// identity) over reportData (at most 64 bytes).
func (m *Module) DeviceAttestation(reportData []byte) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if len(reportData) > identity.MaxReportData {
		return nil, ErrInvalidLength
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.id.AttestDevice(uint32(m.State()), reportData)
}

// SelfTestResults reports the last outcome of every self-test.
func (m *Module) SelfTestResults() []selftest.Result { return m.tests.Results() }

// RunSelfTest runs every known-answer test again (on demand or
// periodically). A failure enters StateError and returns an error matching
// ErrSelfTestFailed. StateError is not left by a later success: the module
// must be opened again.
func (m *Module) RunSelfTest() error {
	if s := m.State(); s == StateTampered || s == StateZeroized {
		return m.check()
	}
	if err := m.tests.Run(); err != nil {
		m.enterError(err)
		return err
	}
	return nil
}

// Partitions returns the number of partitions.
func (m *Module) Partitions() int { return m.opts.Partitions }

// Partition returns partition i (0-based). It is available in every state so
// that the device can report partition state and zeroize; its services
// check the device state themselves.
func (m *Module) Partition(i int) (*Partition, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if i < 0 || i >= len(m.parts) {
		return nil, fmt.Errorf("%w: no partition %d", ErrInvalidArgument, i)
	}
	return m.parts[i], nil
}

// ErasePartition zeroizes partition i while the module is in the Error
// state from its power-on self-tests, when no partition was loaded: the
// partition's persistent record (credential, PIN verifier, masking and
// unwrapping keys) is erased without using any algorithm, so the partition
// comes back Unprovisioned, with a new masking key, at the next power-on
// (IHSM-TMP-005).
func (m *Module) ErasePartition(i int) error {
	if i < 0 || i >= m.opts.Partitions {
		return fmt.Errorf("%w: no partition %d", ErrInvalidArgument, i)
	}
	m.mu.RLock()
	loaded := len(m.parts) > 0
	m.mu.RUnlock()
	if loaded {
		return fmt.Errorf("%w: partition %d is loaded; zeroize it through its Partition", ErrInvalidArgument, i)
	}
	if s := m.State(); s == StateTampered || s == StateZeroized {
		return m.check()
	}
	return vault.Erase(m.store, partitionRecordName(i))
}

// ZeroizeAll destroys every key, session and secret of every partition and
// the device identity, persistently, and enters StateTampered (tamper true:
// the tamper response) or StateZeroized. Both states survive a restart; the
// state directory cannot be used again. It works in every state.
func (m *Module) ZeroizeAll(tamper bool) error {
	final := StateZeroized
	if tamper {
		final = StateTampered
	}
	m.state.Store(uint32(final))
	m.mu.Lock()
	defer m.mu.Unlock()
	serial := ""
	if m.id != nil {
		serial = m.id.Serial()
	}
	var errs []error
	for _, p := range m.parts {
		p.wipe()
		errs = append(errs, m.vault.Put(partitionRecordName(p.index), []byte{}))
	}
	m.id = nil
	if m.vault != nil {
		errs = append(errs, m.vault.Put(recIdentity, []byte{}))
		errs = append(errs, m.putDevice(deviceRecord{Serial: serial, Partitions: m.opts.Partitions, State: final}))
		return errors.Join(errs...)
	}
	// The power-on self-tests failed, so the vault was never opened and no
	// algorithm may run: every record is erased and the final state
	// recorded without cryptography, so the state survives a restart as
	// the spec requires (states.yaml SM-DEVICE; FIPS 140-3 §7.9.7).
	for i := 0; i < m.opts.Partitions; i++ {
		errs = append(errs, vault.Erase(m.store, partitionRecordName(i)))
	}
	errs = append(errs, vault.Erase(m.store, recIdentity), vault.MarkFinal(m.store, byte(final)))
	return errors.Join(errs...)
}
