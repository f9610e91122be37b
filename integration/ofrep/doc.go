// Package ofrep tests gray/ofrep against the OFREP OpenAPI document and
// against real OpenFeature clients in headless Chromium.
package ofrep
