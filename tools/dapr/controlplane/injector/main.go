// Command injector is Dapr's sidecar injector (mutating admission webhook that adds daprd), built unchanged from the pinned release.
// It lives outside cmd/ so that the Makefile's daprd cache key (tools/dapr/cmd/*/*.go) does not change.
package main

import "github.com/dapr/dapr/cmd/injector/app"

func main() {
	app.Run()
}
