// Command learnflow-provisioner is a hostPath volume provisioner for the single-node cluster.
// It runs on the host (not in a pod): for every PersistentVolumeClaim of a StorageClass whose
// provisioner is learnflow.local/hostpath it creates <root>/<pv-name> and a hostPath
// PersistentVolume pinned to the node; deleting such a volume removes its directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v13/controller"
)

const provisionerName = "learnflow.local/hostpath"

type hostPathProvisioner struct {
	root string // absolute directory holding one subdirectory per volume
	node string // the node every volume is pinned to
}

// dir is the directory of the volume named name; names are DNS subdomains, never paths.
func (p *hostPathProvisioner) dir(name string) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return "", fmt.Errorf("invalid volume name %q", name)
	}
	return filepath.Join(p.root, name), nil
}

func (p *hostPathProvisioner) Provision(ctx context.Context, opts controller.ProvisionOptions) (*v1.PersistentVolume, controller.ProvisioningState, error) {
	if opts.SelectedNodeName != "" && opts.SelectedNodeName != p.node {
		return nil, controller.ProvisioningFinished, fmt.Errorf("node %q selected, this provisioner serves only %q", opts.SelectedNodeName, p.node)
	}
	dir, err := p.dir(opts.PVName)
	if err != nil {
		return nil, controller.ProvisioningFinished, err
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, controller.ProvisioningFinished, err
	}
	if err := os.Chmod(dir, 0o777); err != nil { // MkdirAll's mode is reduced by the umask
		return nil, controller.ProvisioningFinished, err
	}
	reclaim := v1.PersistentVolumeReclaimDelete
	if opts.StorageClass != nil && opts.StorageClass.ReclaimPolicy != nil {
		reclaim = *opts.StorageClass.ReclaimPolicy
	}
	hostPathType := v1.HostPathDirectory
	pv := &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: opts.PVName},
		Spec: v1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: reclaim,
			AccessModes:                   opts.PVC.Spec.AccessModes,
			Capacity:                      v1.ResourceList{v1.ResourceStorage: opts.PVC.Spec.Resources.Requests[v1.ResourceStorage]},
			PersistentVolumeSource: v1.PersistentVolumeSource{
				HostPath: &v1.HostPathVolumeSource{Path: dir, Type: &hostPathType},
			},
			NodeAffinity: &v1.VolumeNodeAffinity{Required: &v1.NodeSelector{NodeSelectorTerms: []v1.NodeSelectorTerm{{
				MatchExpressions: []v1.NodeSelectorRequirement{{
					Key: "kubernetes.io/hostname", Operator: v1.NodeSelectorOpIn, Values: []string{p.node},
				}},
			}}}},
		},
	}
	if opts.StorageClass != nil {
		pv.Spec.MountOptions = opts.StorageClass.MountOptions
	}
	klog.InfoS("provisioned", "pv", opts.PVName, "claim", klog.KObj(opts.PVC), "path", dir)
	return pv, controller.ProvisioningFinished, nil
}

func (p *hostPathProvisioner) Delete(ctx context.Context, pv *v1.PersistentVolume) error {
	dir, err := p.dir(pv.Name)
	if err != nil {
		return err
	}
	if pv.Spec.HostPath == nil || filepath.Clean(pv.Spec.HostPath.Path) != dir {
		return &controller.IgnoredError{Reason: fmt.Sprintf("volume %s is not a directory under %s", pv.Name, p.root)}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	klog.InfoS("deleted", "pv", pv.Name, "path", dir)
	return nil
}

func main() {
	klog.InitFlags(nil)
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster (required: this runs on the host)")
	root := flag.String("root", "/var/lib/learnflow-cluster/volumes", "directory holding one subdirectory per volume")
	node := flag.String("node", "", "name of the node the volumes are on (default: this host's name)")
	flag.Parse()

	if *node == "" {
		h, err := os.Hostname()
		if err != nil {
			klog.Fatal(err)
		}
		*node = strings.ToLower(h) // as the kubelet names its node by default
	}
	rootDir, err := filepath.Abs(*root)
	if err == nil {
		err = os.MkdirAll(rootDir, 0o755)
	}
	if err != nil {
		klog.Fatal(err)
	}
	if *kubeconfig == "" {
		klog.Fatal(errors.New("--kubeconfig is required"))
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		klog.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	klog.InfoS("starting", "provisioner", provisionerName, "root", rootDir, "node", *node)
	controller.NewProvisionController(ctx, client, provisionerName,
		&hostPathProvisioner{root: rootDir, node: *node},
		controller.LeaderElection(false), // one instance on one host
	).Run(ctx)
}
