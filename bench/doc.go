// Package bench measures the mock against baselines measured in the same
// run: Go benchmarks of the request path and of the validators it could use
// (bench_test.go), and a load comparison of the mock, a bare net/http server
// and Prism (cmd/loadcompare). Results and method: docs/performance.md.
//
// Nothing here asserts on wall-clock time; the figures are printed as
// ratios for a human to judge.
package bench
