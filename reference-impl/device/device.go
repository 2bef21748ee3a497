package device

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
)

// Defaults of the configuration (spec: architecture/limits.yaml, and the
// self-test period of the security policy).
const (
	DefaultMaxSessions      = 8
	DefaultSelfTestInterval = 60 * time.Second
)

// Config configures a device.
type Config struct {
	// Store holds the device's persistent state (identity, partition
	// credentials, lockout counters), encrypted by the boundary. Nil means
	// a fresh [MemoryStore]: a device that forgets everything when the
	// process ends.
	Store boundary.Store
	// Partitions is the number of partitions, each served on its own
	// endpoint (default 1). It is fixed when the state is first created.
	Partitions int
	// MaxSessions is the number of sessions a partition may have open at
	// once (default max_sessions = 8).
	MaxSessions int
	// MaxKeys is the number of keys a partition may hold (default max_keys
	// = 256).
	MaxKeys int
	// Serial is the serial number given to a new device (default random).
	Serial string
	// FirmwareMeasurement is the SHA-384 of the running firmware (the
	// reference HSM's binary) and FirmwareVersion its version (default
	// "unknown": the spec's reports and GetDeviceInfo carry a version of at
	// least one byte). Both go into the attestation key certificate and the
	// device attestation.
	FirmwareMeasurement [48]byte
	FirmwareVersion     string
	// Clock is the time source (default time.Now). PIN backoff runs on it;
	// the control operations SetClock and AdvanceClock move the device's
	// time relative to it, so lockout tests need not sleep.
	Clock func() time.Time
	// SelfTestInterval is the period of the periodic self-tests (default
	// 60 s; negative disables them).
	SelfTestInterval time.Duration
	// PINIterations is the PBKDF2 iteration count of new PIN verifiers
	// (default: the boundary's). Tests lower it to save time.
	PINIterations int
	// FuseSecret, if set, is the 32-byte device-unique secret the state is
	// bound to (default: kept in the store).
	FuseSecret []byte
	// Faults are deliberate defects for mutation testing of the conformance
	// suite (see [Fault]). Only a build with the ihsmfaults tag has them;
	// any other build refuses a Config with faults (ErrNoFaultInjection). A
	// device with faults answers GetDeviceInfo with the product "OpenIHSM
	// FAULT-INJECTED" (the fault names are in [Device.Faults], not on the
	// wire) and appends "+faults" to its firmware version, which its
	// attestation key certificate carries. Its attestation keys are still
	// the state's: run faults only on an ephemeral state, never on one
	// whose attestation a verifier trusts.
	Faults []Fault
}

// Device is the reference HSM's device core: it owns the security boundary,
// the session tables and the device state machine, and answers request
// frames on one endpoint per partition. Every method is safe for concurrent
// use.
type Device struct {
	cfg    Config
	faults faultSet

	// clockOffset is added to cfg.Clock (SetClock, AdvanceClock).
	clockOffset atomic.Int64
	// lockoutSkew moves the boundary's clock for FaultIgnorePinLockout,
	// once skewOn is set (after the first power-on, so the identity
	// certificates keep true validity times).
	lockoutSkew atomic.Int64
	skewOn      atomic.Bool

	// cur is the current power-on; control operations replace it.
	cur atomic.Pointer[power]

	// ctl serialises control operations.
	ctl sync.Mutex

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// power is one power-on of the device: the boundary module it opened and
// the device-side state of its partitions. Nothing volatile survives into
// the next power-on.
type power struct {
	mod   *boundary.Module // nil while booting, or when the boundary failed to open
	parts []*partition
	// booting is set while the power-on self-tests run.
	booting bool
	// openErr is why the boundary could not be opened (mod == nil).
	openErr error
}

// New powers a device on: it opens the boundary over cfg.Store, which runs
// the power-on self-tests and loads or creates the device state, and starts
// the periodic self-tests. A corrupt or foreign state is an error (matching
// boundary.ErrStateCorrupt or boundary.ErrStateForeign), never replaced. A
// self-test failure is not an error: the device comes up in the Error state,
// where only status and zeroize commands answer.
func New(cfg Config) (*Device, error) {
	if cfg.Partitions <= 0 {
		cfg.Partitions = 1
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.SelfTestInterval == 0 {
		cfg.SelfTestInterval = DefaultSelfTestInterval
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	if cfg.FirmwareVersion == "" {
		cfg.FirmwareVersion = "unknown"
	}
	fs, err := newFaultSet(cfg.Faults)
	if err != nil {
		return nil, err
	}
	if FaultInjection && fs != 0 {
		cfg.FirmwareVersion += "+faults"
	}
	d := &Device{cfg: cfg, faults: fs, stop: make(chan struct{})}
	p, err := d.powerOn("")
	if err != nil {
		return nil, err
	}
	d.cur.Store(p)
	d.skewOn.Store(fs.has(FaultIgnorePinLockout))
	if cfg.SelfTestInterval > 0 {
		d.wg.Add(1)
		go d.periodicSelfTests()
	}
	return d, nil
}

// Close stops the periodic self-tests. The device's state stays in its
// store; in-flight requests finish normally.
func (d *Device) Close() error {
	d.stopOnce.Do(func() { close(d.stop) })
	d.wg.Wait()
	return nil
}

// Partitions returns the number of partitions (and endpoints).
func (d *Device) Partitions() int { return d.cfg.Partitions }

// Faults returns the faults the device runs with.
func (d *Device) Faults() []Fault { return d.faults.list() }

// now is the device's time: the configured clock plus the control offset.
func (d *Device) now() time.Time {
	return d.cfg.Clock().Add(time.Duration(d.clockOffset.Load()))
}

// boundaryClock is the clock the boundary's PIN backoff runs on. Under
// FaultIgnorePinLockout every reading jumps past the longest backoff, so no
// lockout ever holds.
func (d *Device) boundaryClock() time.Time {
	t := d.now()
	if d.skewOn.Load() {
		t = t.Add(time.Duration(d.lockoutSkew.Add(int64(2048 * time.Second))))
	}
	return t
}

// powerOn opens the boundary: power-on self-tests (forcing forceFail to
// fail, if set), then the device state.
func (d *Device) powerOn(forceFail string) (*power, error) {
	if d.faults.has(FaultSelfTestFailureIgnored) {
		forceFail = ""
	}
	mod, err := boundary.Open(d.cfg.Store, d.boundaryOptions(forceFail))
	if err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	p := &power{mod: mod, parts: make([]*partition, d.cfg.Partitions)}
	for i := range p.parts {
		p.parts[i] = &partition{index: i, sessions: map[uint32]*session{}}
		if bp, err := mod.Partition(i); err == nil {
			p.parts[i].bp = bp
		}
	}
	return p, nil
}

func (d *Device) boundaryOptions(forceFail string) boundary.Options {
	return boundary.Options{
		Partitions:          d.cfg.Partitions,
		Serial:              d.cfg.Serial,
		FirmwareMeasurement: d.cfg.FirmwareMeasurement,
		FirmwareVersion:     d.cfg.FirmwareVersion,
		FuseSecret:          d.cfg.FuseSecret,
		Clock:               d.boundaryClock,
		SelfTest:            selftest.Options{ForceFail: forceFail},
		MaxKeys:             d.cfg.MaxKeys,
		PINIterations:       d.cfg.PINIterations,
		UnboundMaskedKeys:   d.faults.has(FaultUnboundMaskedKeys),
	}
}

// periodicSelfTests re-runs the known-answer tests every interval until
// Close (FIPS 140-3 §7.10.3: periodic self-tests). A failure puts the
// boundary, and so the device, into the Error state.
func (d *Device) periodicSelfTests() {
	defer d.wg.Done()
	t := time.NewTicker(d.cfg.SelfTestInterval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			if p := d.cur.Load(); p.mod != nil && p.mod.State() == boundary.StateOperational {
				p.mod.RunSelfTest()
			}
		}
	}
}

// State is the device state of the spec's state machine SM-DEVICE.
func (d *Device) State() boundary.DeviceState { return d.cur.Load().state() }

func (p *power) state() boundary.DeviceState {
	switch {
	case p.booting:
		return boundary.StateSelfTest
	case p.mod == nil:
		return boundary.StateError
	}
	return p.mod.State()
}

// replace installs the next power-on, dropping every session of the
// previous one. d.ctl held.
func (d *Device) replace(next *power) {
	prev := d.cur.Swap(next)
	for _, pt := range prev.parts {
		pt.dropSessions()
	}
}

// PowerCycle turns the device off and on again: every session and volatile
// key is lost, the state directory is kept, the power-on self-tests run
// again, and a device in the Error state leaves it if they pass. Tampered
// and Zeroized are persistent and survive a power cycle.
func (d *Device) PowerCycle() error {
	d.ctl.Lock()
	defer d.ctl.Unlock()
	return d.powerCycle("")
}

func (d *Device) powerCycle(forceFail string) error {
	d.replace(&power{booting: true, parts: d.emptyParts()})
	p, err := d.powerOn(forceFail)
	if err != nil {
		d.replace(&power{openErr: err, parts: d.emptyParts()})
		return err
	}
	d.replace(p)
	return nil
}

func (d *Device) emptyParts() []*partition {
	ps := make([]*partition, d.cfg.Partitions)
	for i := range ps {
		ps[i] = &partition{index: i, sessions: map[uint32]*session{}}
	}
	return ps
}

// HoldSelfTest turns the device off and on again and holds it in the
// SelfTest state, its power-on self-tests not yet finished: every session
// and volatile key is lost and only the status commands answer (spec:
// states.yaml SM-DEVICE). The next PowerCycle, Reset or FailSelfTest lets
// the self-tests run. It is how the control channel shows the SelfTest
// state, which otherwise lasts only as long as the self-tests.
func (d *Device) HoldSelfTest() {
	d.ctl.Lock()
	defer d.ctl.Unlock()
	d.replace(&power{booting: true, parts: d.emptyParts()})
}

// FailSelfTest power-cycles the device with the self-test name forced to
// fail (a KAT or PCT of the boundary's registry), so the device comes up in
// the Error state. The failure is forced for that one power-on: the next
// PowerCycle or Reset runs healthy self-tests again.
func (d *Device) FailSelfTest(name string) error {
	if !isSelfTestName(name) {
		return fmt.Errorf("device: unknown self-test %q", name)
	}
	d.ctl.Lock()
	defer d.ctl.Unlock()
	return d.powerCycle(name)
}

func isSelfTestName(name string) bool {
	for _, n := range append(selftest.Names(), selftest.PCTNames()...) {
		if n == name {
			return true
		}
	}
	return false
}

// ErrStateFinal is returned by Reset on a device whose persistent state is
// Tampered or Zeroized: that state cannot be brought back, only replaced by
// a new state directory.
var ErrStateFinal = errors.New("device: state is tampered or zeroized; start the device over a new state directory")

// Reset returns the device to its factory state without changing its
// identity: it power-cycles (self-tests run again) and zeroizes every
// partition, so each is unprovisioned with a new credential key and no
// keys, sessions or lockout. A device whose state is in memory and has been
// tampered or zeroized starts over with a new state (a new identity); one
// whose state is in a state directory refuses with ErrStateFinal.
func (d *Device) Reset() error {
	d.ctl.Lock()
	defer d.ctl.Unlock()
	if s := d.cur.Load().state(); s == boundary.StateTampered || s == boundary.StateZeroized {
		ms, ok := d.cfg.Store.(*MemoryStore)
		if !ok {
			return ErrStateFinal
		}
		ms.mu.Lock()
		ms.recs = map[string][]byte{}
		ms.mu.Unlock()
	}
	if err := d.powerCycle(""); err != nil {
		return err
	}
	p := d.cur.Load()
	if p.mod == nil || p.mod.State() != boundary.StateOperational {
		return fmt.Errorf("device: reset: device is in state %d after its self-tests", p.state())
	}
	for _, pt := range p.parts {
		if err := pt.bp.Zeroize(); err != nil {
			return fmt.Errorf("device: reset partition %d: %w", pt.index, err)
		}
	}
	return nil
}

// Tamper signals a tamper event: every key and secret is zeroized
// (persistently) and the device enters the Tampered state, where only
// status commands answer (spec: architecture tamper response).
func (d *Device) Tamper() error {
	if d.faults.has(FaultIgnoreTamper) {
		return nil
	}
	d.ctl.Lock()
	defer d.ctl.Unlock()
	return d.zeroizeAll(true)
}

// ZeroizeAll zeroizes every key and secret of every partition and the
// device identity, persistently, and enters the Zeroized state.
func (d *Device) ZeroizeAll() error {
	d.ctl.Lock()
	defer d.ctl.Unlock()
	return d.zeroizeAll(false)
}

func (d *Device) zeroizeAll(tamper bool) error {
	p := d.cur.Load()
	if p.mod == nil {
		// The boundary did not open at the last power-on: destroy the
		// stored state without it, then power on into the final state.
		if err := boundary.ZeroizeStore(d.cfg.Store, d.boundaryOptions(""), tamper); err != nil {
			return fmt.Errorf("device: %w", err)
		}
		return d.powerCycle("")
	}
	err := p.mod.ZeroizeAll(tamper)
	for _, pt := range p.parts {
		pt.dropSessions()
	}
	return err
}

// Migrate simulates a live migration of the host: every open session of
// every partition enters needs-renegotiation, where its commands answer
// SessionNeedsRenegotiation until ReopenSession re-authenticates it with
// new channel keys. Keys, credentials and session ids are kept.
func (d *Device) Migrate() {
	if d.faults.has(FaultIgnoreMigration) {
		return
	}
	for _, pt := range d.cur.Load().parts {
		pt.migrate()
	}
}

// SetClock sets the device's time to t.
func (d *Device) SetClock(t time.Time) {
	d.clockOffset.Store(int64(t.Sub(d.cfg.Clock())))
}

// AdvanceClock moves the device's time forward by delta (backward if
// negative).
func (d *Device) AdvanceClock(delta time.Duration) {
	d.clockOffset.Add(int64(delta))
}

// Now returns the device's time.
func (d *Device) Now() time.Time { return d.now() }
