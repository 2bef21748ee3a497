package device

import (
	"math/rand/v2"
	"sync"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// partition is the device-side state of one partition during one power-on:
// its session table. Credentials, keys and lockout live in the boundary
// partition bp.
type partition struct {
	index int
	bp    *boundary.Partition // nil when the boundary is not open

	mu       sync.RWMutex
	sessions map[uint32]*session
	// opening counts sessions being opened, which hold a slot of the
	// session limit until they are added or fail.
	opening int

	// credMu serialises the credential exchanges of the partition, and
	// nonce is the outstanding credential nonce the last GetCredentialKey
	// issued (a public value; the boundary keeps its own copy and derives
	// with that one).
	credMu sync.Mutex
	nonce  []byte

	// scratch pools the working memory of sealed requests.
	scratch sync.Pool
}

// scratch is the working memory of one sealed request: the additional
// data, the opened request body, the encoded response body and its sealed
// form. Pooling it keeps the channel's per-message buffers out of the
// allocator, which on a small machine costs more than the AEAD itself.
// The plaintext bodies are cleared before it goes back to the pool.
type scratch struct {
	aad, body, resp, sealed []byte
}

func (p *partition) getScratch() *scratch {
	if s, ok := p.scratch.Get().(*scratch); ok {
		return s
	}
	return &scratch{aad: make([]byte, 0, 64)}
}

func (p *partition) putScratch(s *scratch) {
	clear(s.body)
	clear(s.resp)
	s.body, s.resp = s.body[:0], s.resp[:0]
	p.scratch.Put(s)
}

// session is one open session: its boundary session, its channel keys and
// the channel sequence state (spec: wire.yaml, channel).
type session struct {
	id uint32
	bs *boundary.Session

	mu sync.Mutex
	ch *boundary.ChannelKeys
	// last is the last request sequence accepted; the next must be last+1.
	last uint64
	// renegotiate is set by a migration: every command answers
	// SessionNeedsRenegotiation until ReopenSession.
	renegotiate bool
	closed      bool
}

// lookup finds session id: SessionNotFound when it is not open.
func (p *partition) lookup(id uint32) (*session, rc.Code) {
	p.mu.RLock()
	s := p.sessions[id]
	p.mu.RUnlock()
	if s == nil {
		return nil, rc.SessionNotFound
	}
	return s, rc.Success
}

// reserve takes a slot of the session limit (max_sessions), to be given
// back by add or release.
func (p *partition) reserve(limit int) rc.Code {
	p.mu.Lock()
	defer p.mu.Unlock()
	if limit > 0 && len(p.sessions)+p.opening >= limit {
		return rc.SessionLimitReached
	}
	p.opening++
	return rc.Success
}

func (p *partition) release() {
	p.mu.Lock()
	p.opening--
	p.mu.Unlock()
}

// newID returns a session id not in use: non-zero, and random so that ids
// say nothing about other clients' sessions.
func (p *partition) newID() uint32 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for {
		id := rand.Uint32()
		if _, taken := p.sessions[id]; id != 0 && !taken {
			return id
		}
	}
}

// add installs an opened session in the slot reserve took.
func (p *partition) add(s *session) {
	p.mu.Lock()
	p.opening--
	p.sessions[s.id] = s
	p.mu.Unlock()
}

func (p *partition) remove(s *session) {
	p.mu.Lock()
	if p.sessions[s.id] == s {
		delete(p.sessions, s.id)
	}
	p.mu.Unlock()
	s.mu.Lock()
	s.closed, s.ch = true, nil
	s.mu.Unlock()
}

// dropSessions forgets every session (power cycle, zeroize, tamper); the
// boundary destroys their keys itself.
func (p *partition) dropSessions() {
	p.mu.Lock()
	ss := p.sessions
	p.sessions = map[uint32]*session{}
	p.mu.Unlock()
	for _, s := range ss {
		s.mu.Lock()
		s.closed, s.ch = true, nil
		s.mu.Unlock()
	}
}

// migrate puts every session into needs-renegotiation.
func (p *partition) migrate() {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, s := range p.sessions {
		s.mu.Lock()
		s.renegotiate = true
		s.mu.Unlock()
	}
}

// usable reports whether commands may run in the session (the session rule
// of the dispatcher).
func (s *session) usable() rc.Code {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return rc.SessionNotFound
	case s.renegotiate:
		return rc.SessionNeedsRenegotiation
	}
	return rc.Success
}

// open authenticates a sealed request (spec: wire.yaml, channel): the
// sequence must be the last accepted plus one (ChannelSequenceError) and the
// seal must verify under k_c2d with the encoded header as additional data
// (ChannelAuthFailed). Neither failure advances the sequence. It returns the
// body and the channel keys to seal the response with, which a concurrent
// ReopenSession cannot change under it. The body is opened into scr.
func (s *session) open(h *wire.RequestHeader, sealed []byte, acceptReplay bool, scr *scratch) ([]byte, *boundary.ChannelKeys, rc.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed || s.ch == nil:
		return nil, nil, rc.SessionNotFound
	case s.renegotiate:
		return nil, nil, rc.SessionNeedsRenegotiation
	case h.Sequence == 0:
		return nil, nil, rc.ChannelRequired
	case h.Sequence != s.last+1 && !(acceptReplay && h.Sequence != 0):
		return nil, nil, rc.ChannelSequenceError
	}
	scr.aad = h.AppendCBOR(scr.aad[:0])
	body, err := s.ch.OpenRequest(scr.body[:0], h.Sequence, scr.aad, sealed)
	if err != nil {
		return nil, nil, rc.ChannelAuthFailed
	}
	scr.body = body
	s.last = max(s.last, h.Sequence)
	return body, s.ch, rc.Success
}

// reopen installs new channel keys after ReopenSession: sequences restart
// at 1 and the session leaves needs-renegotiation.
func (s *session) reopen(ch *boundary.ChannelKeys) {
	s.mu.Lock()
	s.ch, s.last, s.renegotiate = ch, 0, false
	s.mu.Unlock()
}
