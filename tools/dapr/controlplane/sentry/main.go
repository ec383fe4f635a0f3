// Command sentry is Dapr's certificate authority (mTLS between sidecars and the control plane), built unchanged from the pinned release.
// It lives outside cmd/ so that the Makefile's daprd cache key (tools/dapr/cmd/*/*.go) does not change.
package main

import "github.com/dapr/dapr/cmd/sentry/app"

func main() {
	app.Run()
}
