module github.com/graykit/graykit/cmd/graykit

go 1.25

// Development and GOWORK=off builds use this checkout's root module and
// DDL checker; a released CLI requires the versions tagged with it.
replace (
	github.com/graykit/graykit => ../..
	github.com/graykit/graykit/ddlcheck => ../../ddlcheck
)

require (
	github.com/graykit/graykit v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/mod v0.27.0 // indirect
)
