// Package browsertest checks the generated documentation site in a real
// browser: Debian's headless Chromium, driven over the Chrome DevTools
// Protocol with chromedp, against a copy of the site served on 127.0.0.1.
//
// The test builds the site from the embedded spec (with a conformance
// report and an evidence fixture, so every page kind has content), crawls
// it from the home page following every link of the DOM, and fails on a
// console error, an uncaught exception, a failed or cross-origin request, a
// broken link or anchor, a command without its page, a requirement filter
// that does not filter, a missing skip link or focus outline, a page wider
// than a phone's screen, or a requirements page that hides rows when
// JavaScript is off. It writes screenshots of the home page, a command page
// and the conformance dashboard (and more) to $OPENIHSM_SCREENSHOTS, or a
// temporary directory, for review.
//
// Without Chromium the test skips, unless CI=true: there its absence is a
// failure, so the browser check cannot silently stop running.
package browsertest
