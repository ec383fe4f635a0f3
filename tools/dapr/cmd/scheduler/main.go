// Command scheduler is Dapr's scheduler service (reminders, jobs), built unchanged from the pinned release.
package main

import "github.com/dapr/dapr/cmd/scheduler/app"

func main() {
	app.Run()
}
