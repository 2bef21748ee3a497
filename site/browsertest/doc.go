// Package browsertest checks the generated documentation site in a real
// browser: Debian's headless Chromium, driven over the Chrome DevTools
// Protocol with chromedp, against a copy of the site served on 127.0.0.1
// and the same copy opened from the disk (file://).
//
// The test builds the site from the embedded spec (with a conformance
// report, an evidence fixture and the scenarios of the embedded feature
// bundle, so every page kind has content), crawls it both ways from the
// home page following every link of the DOM, and fails on a console error,
// an uncaught exception, a failed request or one outside the site, a
// broken link or anchor, a link to a directory (which opens no page from
// file://), a command without its page, a requirement filter (text, area,
// level, profile) that does not filter, a missing skip link or focus
// outline, a page wider than a phone's screen, or a requirements page that
// hides rows when JavaScript is off.
//
// It writes screenshots (home.png, command.png, conformance.png and the
// other pages, each whole and as its first screenful, and home-phone.png)
// to out/screenshots at the top of the repository, or to
// $OPENIHSM_SCREENSHOTS, and checks each is a PNG image with pixels.
//
// Without Chromium the test skips, unless CI=true (which .ci/run sets):
// there its absence is a failure, so the browser check cannot silently stop
// running.
package browsertest
