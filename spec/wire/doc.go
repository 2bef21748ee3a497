// Package wire is the OpenIHSM wire protocol: framing, the envelope and its
// headers, the deterministic CBOR codec, the message types of every command,
// and the session channel protection (spec: wire.yaml, commands/*.yaml,
// types.yaml). It is the one place that owns the bytes: the reference
// device, the client and the conformance suite all encode and decode
// through it.
//
// # Frames, envelopes, bodies
//
// A frame is a 4-byte big-endian length and a payload of at most
// [MaxFrame] bytes ([ReadFrame], [WriteFrame]). The payload is the envelope
// map {1: header, 2: body} or {1: header, 3: sealed}. A client encodes a
// request in three steps:
//
//	body, err := wire.Marshal(&wire.SignRequest{KeyHandle: h, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest})
//	hdr := wire.RequestHeader{Revision: wire.Revision, Opcode: wire.OpSign, RequestID: id, SessionID: sid}
//	sealed, err := ch.SealRequest(&hdr, body)          // in-session commands only
//	payload, err := wire.EncodeRequest(hdr, wire.Envelope{Sealed: sealed})
//
// and a device decodes it the other way round: [DecodeRequest], then
// [Channel.OpenRequest] for a sealed body, then [Unmarshal] into the type
// the opcode names ([CommandByOpcode] and [CommandInfo.NewRequest]).
//
// # Strict, canonical decoding
//
// Every decoder here refuses what the deterministic encoding of RFC 8949
// §4.2.1 would not produce: a message is accepted only if re-encoding it
// gives the same bytes. Duplicate or unknown keys, tags, floats and
// indefinite lengths are errors. Errors wrap a status code of package rc
// (rc.DecodeFailed, rc.InvalidArgument, rc.FrameTooLarge, the channel
// statuses) so a device answers them as they are, and a failed decode
// never returns a partly filled value.
//
// # JSON form and schemas
//
// [ToJSON] renders a message or header in the JSON form described by the
// JSON Schemas in [SchemaFS] (draft 2020-12, one per request, response and
// header), so a decoded message can be checked against the spec without
// trusting this codec.
//
// # Generated code
//
// spec_gen.go and messages_gen.go, the schemas, spec/rc/codes.go and the
// vectors of spec/vectors are generated from the spec by spec/specgen;
// regenerate them after a spec change with
//
//	go generate ./spec/wire
//
// A test of the generator regenerates everything in memory and fails when a
// committed file is stale.
package wire

import "embed"

//go:generate go run ../internal/gen -root ..

// SchemaFS holds the JSON Schemas of the JSON form: schema/<Name>.json for
// each XxxRequest and XxxResponse, RequestHeader and ResponseHeader.
//
//go:embed schema/*.json
var SchemaFS embed.FS
