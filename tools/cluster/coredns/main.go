// Command coredns is CoreDNS at the pinned release with only the plugins the cluster's DNS needs,
// registered the way coredns' own coredns.go does it (blank imports, then coremain.Run) but with
// a short plugin list instead of core/plugin, which imports every plugin (cloud providers too).
// There is no uplink, so there is no forward plugin: names outside the cluster do not resolve.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
)

// directives is the order in which the plugins run on a query: the order of coredns' generated
// core/dnsserver/zdirectives.go (from plugin.cfg) restricted to the plugins imported above.
var directives = []string{
	"ready",
	"health",
	"errors",
	"log",
	"loadbalance",
	"cache",
	"kubernetes",
	"loop",
}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
