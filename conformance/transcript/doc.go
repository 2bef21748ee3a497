// Package transcript records every frame a conformance run exchanges with a
// device in a hash chain, so a report can commit to the exact conversation
// behind its verdict with one digest.
//
// Each entry binds the previous chain value, the direction and the frame:
//
//	chain_0 = SHA-256("OpenIHSM-v1 transcript")
//	chain_i = SHA-256(chain_{i-1} || direction (1 byte) || len(frame) (4 bytes, big-endian) || frame)
//
// The transcript file holds one JSON object per line (index, direction,
// scenario, frame in hex, chain value in hex); [Verify] recomputes the chain
// from the frames alone, so an edited, reordered or truncated transcript no
// longer matches the digest in the report.
package transcript
