// Command placement is Dapr's actor placement service, built unchanged from the pinned release.
package main

import "github.com/dapr/dapr/cmd/placement/app"

func main() {
	app.Run()
}
