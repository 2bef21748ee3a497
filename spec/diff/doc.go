// Package diff compares two versions of the OpenIHSM spec and classifies
// every change as breaking, additive or editorial, then checks the
// versioning policy of CONTRIBUTING.md:
//
//   - the spec version (spec.yaml version) is a semantic version that never
//     goes back and steps at least as far as the most severe change needs:
//     from 1.0.0 on, breaking needs a major and additive a minor bump; while
//     the major number is 0, breaking needs a minor and additive a patch
//     bump (the 0.x rule of Cargo and npm); editorial changes need none
//     ([Required], [Step]);
//   - a breaking change needs a major API revision bump (api_revision, the
//     revision on the wire), which never goes back;
//   - a requirement id is never removed (it is withdrawn) nor reused for a
//     different statement, and a withdrawn status code is never revived.
//
// Classification follows what an existing client or device built against
// the old spec would notice:
//
//   - Breaking: a command, status, enum value, bit, role, profile, feature,
//     limit, state, transition or requirement removed; an opcode, status
//     code, field key, field type or session rule changed; a request field
//     added as required or made required; a response field removed or made
//     optional; a size, range or limit narrowed; a state that accepts fewer
//     commands or rejects with another status; a requirement level changed
//     (MUST, SHOULD and MAY are different contracts) or withdrawn; a status
//     dropped from a command's error table; the masked-key layout or the
//     channel's algorithms and labels changed.
//   - Additive: something new (command, field that is optional or is a
//     response field, status, enum value, requirement, state, transition,
//     error row), a size or limit widened, a state that accepts more.
//   - Editorial: descriptions, docs, summaries, requirement wording,
//     traceability lists and the security-policy prose.
//
// Requirement ids are compared by id. Reuse is a change of area, profile or
// since, a withdrawn id revived, or a text rewritten so far that fewer than
// half of its words remain: the statement then means something else and
// needs a new id.
package diff
