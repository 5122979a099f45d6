// Package e2e drives a real browser (headless Chromium, through chromedp)
// against the mock: a page on one loopback origin calls the mock on another,
// so every answer passes Chromium's own CORS checks, preflights included.
//
// The tests live in browser_test.go and scenarios_test.go (the page's "Log
// out everywhere" button, which sends no Prefer header, driven through
// scenarios arranged on the control API: the documented error, the loading
// state during a delay, the network-error path of a fault, and the journal
// as proof of what the page sent), and proxy_test.go (the page going
// through revoke-mock proxy to the mock and to broken backends); secrets_test.go
// and proxy_suite_test.go run the binaries (the suite, strict, through the
// proxy in front of the mock) and search their outputs for tokens.
// and dashboard_test.go (the mock's own page at
// /__mock/, driven like a person would, curl making the requests it shows)
// and report_test.go (the suite's HTML report of a run on a broken backend
// of contract/teeth, opened from its file); all share one Chromium (its
// start is the expensive part). They skip loudly when Chromium is not
// installed, and fail instead when REQUIRE_CHROMIUM=1 (as CI sets it).
package e2e
