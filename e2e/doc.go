// Package e2e drives a real browser (headless Chromium, through chromedp)
// against the mock: a page on one loopback origin calls the mock on another,
// so every answer passes Chromium's own CORS checks, preflights included.
//
// The tests live in browser_test.go; they skip loudly when Chromium is not
// installed, and fail instead when REQUIRE_CHROMIUM=1 (as CI sets it).
package e2e
