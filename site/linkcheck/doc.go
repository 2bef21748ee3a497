// Package linkcheck checks a static site for broken relative links and
// anchors, for references by absolute path, and for resources loaded from
// other origins.
//
// The documentation site must work from file:// and from any static host,
// so every reference between its pages is relative, every fragment names
// an element that exists, and everything a page loads ships with the site.
// Check is what the site's tests and ihsm site build run over the output
// directory.
package linkcheck
