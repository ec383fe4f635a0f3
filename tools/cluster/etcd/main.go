// Command etcd is etcd's server at the pinned release (the same main as etcd's own repository).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
