// Package spectest edits temporary copies of a spec directory for tests of
// the spec tooling. Edits go through the YAML node tree, so a test names the
// element it breaks by JSON Pointer (RFC 6901), whatever the file's layout,
// and finds the element's line again after the file is re-encoded.
package spectest
