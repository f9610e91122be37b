// Package prometheus tests the guard's Prometheus query source against a
// real Prometheus server that scrapes a test application's grayprom
// endpoint. The server binary comes from GRAYKIT_PROMETHEUS or PATH
// (Debian: apt-get install prometheus); without one the tests skip, and
// fail under GRAYKIT_REQUIRE_ALL=1.
package prometheus
