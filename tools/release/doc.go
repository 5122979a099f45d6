// Package release holds the tests of what ships to people without this
// repository: the static binaries of make dist, go install through a module
// proxy, the npm packages (npx revoke-mock), the container image and the
// GitHub Action. It has no code of its own.
package release
