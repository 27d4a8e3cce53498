// Command vendorsim serves emulations of the Whippy, Zipwhip and Whereby APIs
// for integration tests, with signed webhooks and a control API.
//
//	vendorsim [flags]            serve (see -h)
//	vendorsim healthcheck        exit 0 when the local server is ready
//	vendorsim version            print the version
//	vendorsim requests|deliveries|clock|faults|reset|snapshot|run|invoke ...
//	                             drive a running server (see internal/cli)
package main

import (
	"context"
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vendorsim:", err)
		os.Exit(1)
	}
}
