// Command kubelet is the kubelet stand-in of hack/argo-local: it lets a
// kube-apiserver with no scheduler, controller manager or container runtime
// run the pods of Argo Workflows on this machine, as root.
//
// It registers one Ready Node, binds every pending pod to it and runs each
// pod as a kubelet would: volumes (emptyDir, secret, configMap, downwardAPI,
// projected service-account tokens from the TokenRequest API, hostPath),
// the environment (image env, envFrom, env with fieldRef/secretKeyRef/
// configMapKeyRef and $(VAR) expansion, the API server's service
// variables), init containers in order, then the containers together. Each
// container runs from its image, an OCI layout that `make images` writes,
// unpacked once: an overlay of the image rootfs as its root (read-only with
// readOnlyRootFilesystem), its own mount and PID namespaces, the volumes at
// their mount paths, the image's entrypoint, env, user and working dir
// unless the pod overrides them, and the pod's runAsUser/runAsGroup/fsGroup.
// It reports Pending/Running/Succeeded/Failed with container states, exit
// codes and termination messages, enforces activeDeadlineSeconds, honours
// the grace period on deletion (SIGTERM, then SIGKILL), confirms the
// deletion and removes the pod's folder.
//
// With --port it serves the kubelet API's /exec and /containerLogs over
// HTTPS with client-certificate authentication, which the API server
// proxies pods/exec and pods/log to (see server.go, exec.go, logs.go).
//
// Not a real kubelet: no networking (pods share the host network), no
// resource limits, no restarts (restartPolicy Never only), no probes.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

type kubelet struct {
	c        kubernetes.Interface
	nodeName string
	nodeIP   string
	port     int // of the kubelet API (exec, logs); 0: none
	apiHost  string
	apiPort  string
	rootDir  string
	images   *imageStore

	mu   sync.Mutex
	pods map[types.UID]*podRun
}

func main() {
	if childMain(os.Args) {
		return
	}
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the API server")
	nodeName := flag.String("node-name", "argo-local", "name of the Node to register")
	rootDir := flag.String("root-dir", "", "state folder: pods/<uid> (volumes, logs, container roots) and images/ (unpacked rootfs) (required)")
	imageDirs := flag.String("images", "", "comma-separated folders holding one OCI layout per image name, e.g. out/images (required)")
	imagePrefix := flag.String("image-prefix", "tweetflow-", "prefix removed from an image's name before looking up its layout")
	apiHost := flag.String("api-host", "127.0.0.1", "KUBERNETES_SERVICE_HOST given to containers")
	apiPort := flag.String("api-port", "6443", "KUBERNETES_SERVICE_PORT given to containers")
	nodeIP := flag.String("node-ip", "127.0.0.1", "the node's and every pod's IP")
	port := flag.Int("port", 0, "HTTPS port of the kubelet API (pods/exec and pods/log), listening on --node-ip; 0: no API")
	certFile := flag.String("tls-cert-file", "", "serving certificate of the kubelet API (required with --port)")
	keyFile := flag.String("tls-private-key-file", "", "its private key (required with --port)")
	clientCA := flag.String("client-ca-file", "", "CA bundle that verifies the client certificates of the kubelet API (required with --port)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: %s --kubeconfig FILE --root-dir DIR --images DIR[,DIR]\n\nRuns the pods of a kube-apiserver on this machine (see hack/argo-local/README.md). Must run as root.\n\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if *rootDir == "" || *imageDirs == "" {
		flag.Usage()
		os.Exit(2)
	}
	if os.Geteuid() != 0 {
		log.Fatal("kubelet: must run as root (it creates mount and PID namespaces)")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("kubelet: reading kubeconfig %q: %v", *kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	root, err := filepath.Abs(*rootDir)
	if err != nil {
		log.Fatal(err)
	}
	k := &kubelet{
		c:        kubernetes.NewForConfigOrDie(cfg),
		nodeName: *nodeName, nodeIP: *nodeIP, port: *port, apiHost: *apiHost, apiPort: *apiPort,
		rootDir: root,
		images:  &imageStore{dirs: strings.Split(*imageDirs, ","), prefix: *imagePrefix, cache: filepath.Join(root, "images")},
		pods:    map[types.UID]*podRun{},
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if k.port != 0 {
		if *certFile == "" || *keyFile == "" || *clientCA == "" {
			log.Fatal("kubelet: --port needs --tls-cert-file, --tls-private-key-file and --client-ca-file")
		}
		tlsCfg, err := serverTLS(*certFile, *keyFile, *clientCA)
		if err != nil {
			log.Fatalf("kubelet: %v", err)
		}
		addr := net.JoinHostPort(k.nodeIP, strconv.Itoa(k.port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			log.Fatalf("kubelet: the kubelet API: %v", err)
		}
		go func() { log.Fatalf("kubelet: the kubelet API on %s: %v", addr, k.serve(l, tlsCfg)) }()
		log.Printf("kubelet: serving exec and logs on https://%s", addr)
	}
	if err := k.registerNode(ctx); err != nil {
		log.Fatalf("kubelet: registering node %s: %v", k.nodeName, err)
	}
	f := informers.NewSharedInformerFactory(k.c, 0)
	inf := f.Core().V1().Pods().Informer()
	_, err = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.sync(ctx, obj) },
		UpdateFunc: func(_, obj any) { k.sync(ctx, obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				k.forget(p, 0)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	f.Start(ctx.Done())
	log.Printf("kubelet: node %s ready; pods in %s, images from %s", k.nodeName, root, *imageDirs)
	<-ctx.Done()
	log.Printf("kubelet: stopping: killing the running pods")
	k.mu.Lock()
	runs := make([]*podRun, 0, len(k.pods))
	for _, r := range k.pods {
		runs = append(runs, r)
	}
	k.mu.Unlock()
	for _, r := range runs {
		r.terminate(0)
	}
}

func (k *kubelet) registerNode(ctx context.Context) error {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: k.nodeName, Labels: map[string]string{
		"kubernetes.io/hostname": k.nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
	}}}
	if _, err := k.c.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		return err
	}
	n, err := k.c.CoreV1().Nodes().Get(ctx, k.nodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	rl := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	now := metav1.Now()
	n.Status = corev1.NodeStatus{
		Capacity: rl, Allocatable: rl, Phase: corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "argo-local kubelet stand-in", LastHeartbeatTime: now, LastTransitionTime: now}},
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: k.nodeIP}, {Type: corev1.NodeHostName, Address: k.nodeName}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(k.port)}},
		NodeInfo:        corev1.NodeSystemInfo{OperatingSystem: "linux", Architecture: "amd64", KubeletVersion: "argo-local", ContainerRuntimeVersion: "argo-local://nsexec"},
	}
	_, err = k.c.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	return err
}

// sync reacts to a pod event: bind it, start it, or stop it.
func (k *kubelet) sync(ctx context.Context, obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if p.Spec.NodeName == "" {
		if p.DeletionTimestamp != nil {
			return
		}
		b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
			Target: corev1.ObjectReference{Kind: "Node", Name: k.nodeName}}
		if err := k.c.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already assigned") {
			log.Printf("kubelet: binding %s/%s: %v", p.Namespace, p.Name, err)
		}
		return
	}
	if p.Spec.NodeName != k.nodeName {
		return
	}
	if p.DeletionTimestamp != nil {
		grace := int64(0)
		if p.DeletionGracePeriodSeconds != nil {
			grace = *p.DeletionGracePeriodSeconds
		}
		k.forget(p, grace)
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.pods[p.UID]; ok || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return
	}
	r := newPodRun(k, p.DeepCopy())
	k.pods[p.UID] = r
	go r.run(ctx)
}

// forget stops the pod (with grace seconds), removes its folder and confirms
// the deletion to the API server.
func (k *kubelet) forget(p *corev1.Pod, grace int64) {
	k.mu.Lock()
	r, ok := k.pods[p.UID]
	if ok && r.deleting {
		k.mu.Unlock()
		return
	}
	if ok {
		r.deleting = true
	}
	k.mu.Unlock()
	go func() {
		if ok {
			r.terminate(grace)
		}
		dir := filepath.Join(k.rootDir, "pods", string(p.UID))
		if err := os.RemoveAll(dir); err != nil {
			log.Printf("kubelet: removing %s: %v", dir, err)
		}
		k.mu.Lock()
		delete(k.pods, p.UID)
		k.mu.Unlock()
		if p.DeletionTimestamp == nil {
			return // already gone from the API server
		}
		zero := int64(0)
		uid := p.UID
		err := k.c.CoreV1().Pods(p.Namespace).Delete(context.Background(), p.Name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !strings.Contains(err.Error(), "not found") {
			log.Printf("kubelet: confirming the deletion of %s/%s: %v", p.Namespace, p.Name, err)
		}
	}()
}
