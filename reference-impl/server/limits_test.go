package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openihsm/openihsm/spec/transport"
)

// roundTrip sends one GetApiRevision on c and reads the answer.
func roundTrip(t *testing.T, c *transport.RawConn, id uint32) error {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteFrame(apiRevisionFrame(t, id)); err != nil {
		return err
	}
	_, err := c.ReadFrame()
	return err
}

// TestIdleConnectionsGiveWay: at the connection limit, a new connection
// takes the place of the connection idle longest, so idle connections
// cannot lock clients out.
func TestIdleConnectionsGiveWay(t *testing.T) {
	d := newDevice(t, 1)
	s, _, _ := start(t, Config{Device: d, MaxConnections: 2, IdleGrace: 20 * time.Millisecond})
	target := s.Endpoints()[0].Target()
	var idle []*transport.RawConn
	for i := range 2 {
		c, err := transport.DialRaw(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := roundTrip(t, c, uint32(i+1)); err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
		time.Sleep(30 * time.Millisecond)
	}
	c, err := transport.DialRaw(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(t, c, 3); err != nil {
		t.Fatalf("a new connection at the limit of idle ones: %v, want it served", err)
	}
	// The oldest idle connection made way; the other is still served.
	idle[0].SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle[0].ReadFrame(); err == nil {
		t.Fatal("the oldest idle connection is still open")
	}
	if err := roundTrip(t, idle[1], 4); err != nil {
		t.Fatalf("the younger idle connection: %v", err)
	}
}

// TestIdleTimeout closes a connection idle for IdleTimeout.
func TestIdleTimeout(t *testing.T) {
	d := newDevice(t, 1)
	s, _, _ := start(t, Config{Device: d, IdleTimeout: 50 * time.Millisecond})
	c, err := transport.DialRaw(context.Background(), s.Endpoints()[0].Target())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(t, c, 1); err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.ReadFrame(); err == nil {
		t.Fatal("an idle connection got a frame")
	} else if os.IsTimeout(err) {
		t.Fatal("an idle connection stayed open past IdleTimeout")
	}
}

// TestSocketDirMustBePrivate refuses a socket directory others can write
// or that is not this user's.
func TestSocketDirMustBePrivate(t *testing.T) {
	d := newDevice(t, 1)
	base, err := os.MkdirTemp("", "ihsm-priv")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o777)
	grp := filepath.Join(base, "group")
	os.Mkdir(grp, 0o700)
	os.Chmod(grp, 0o750)
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	link := filepath.Join(base, "link")
	private := filepath.Join(base, "private")
	os.Mkdir(private, 0o700)
	os.Symlink(private, link)
	bad := []string{open, grp, file, link}
	if os.Getuid() == 0 {
		other := filepath.Join(base, "other")
		os.Mkdir(other, 0o700)
		if err := os.Chown(other, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		bad = append(bad, other)
	}
	for _, dir := range bad {
		if s, err := Listen(Config{Device: d, SocketDir: dir}); err == nil {
			s.closeListeners()
			t.Errorf("socket directory %s accepted", filepath.Base(dir))
		}
	}
	fi, _ := os.Stat(open)
	if fi.Mode().Perm() != 0o777 {
		t.Errorf("a refused directory was changed to %v", fi.Mode().Perm())
	}
	s, err := Listen(Config{Device: d, SocketDir: private})
	if err != nil {
		t.Fatalf("private directory: %v", err)
	}
	s.closeListeners()
}
