// Command operator is Dapr's Kubernetes operator (components, subscriptions, configurations), built unchanged from the pinned release.
// It lives outside cmd/ so that the Makefile's daprd cache key (tools/dapr/cmd/*/*.go) does not change.
package main

import "github.com/dapr/dapr/cmd/operator/app"

func main() {
	app.Run()
}
