module github.com/graykit/graykit/adapters/grayopenfeature

go 1.26.0

require (
	github.com/cucumber/godog v0.16.0
	github.com/graykit/graykit v0.0.0-00010101000000-000000000000
	github.com/open-feature/go-sdk v1.20.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/cucumber/gherkin/go/v42 v42.0.1 // indirect
	github.com/cucumber/messages/go/v34 v34.2.1 // indirect
	github.com/fsnotify/fsnotify v1.10.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/hashicorp/go-immutable-radix v1.3.1 // indirect
	github.com/hashicorp/go-memdb v1.3.5 // indirect
	github.com/hashicorp/golang-lru v1.0.2 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
	go.uber.org/mock v0.6.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/mod v0.27.0 // indirect
	golang.org/x/sys v0.13.0 // indirect
)

// Development and GOWORK=off builds use the root module of this checkout;
// a released adapter requires the root version tagged with it.
replace github.com/graykit/graykit => ../..
