// Package archtest holds tests of the project's architecture: every package is documented,
// the shipped binary does not link test code, and vendor wire formats stay at the edges.
package archtest
