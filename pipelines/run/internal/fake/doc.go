// Package fake holds fake component contracts and their run function for
// the executor's tests: the real component harness, with a behaviour set by
// parameters (sleep, exit code, flaky failures, gate verdict) and start/end
// events appended to the file named by $RUNTEST_EVENTS.
package fake
