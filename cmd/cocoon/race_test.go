//go:build race

package main

// raceEnabled says the tests run with the race detector; the crash test
// builds cocoon the same way, so that the packages the test binary already
// compiled are reused.
const raceEnabled = true
