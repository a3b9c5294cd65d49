package broker

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ossflow/ossflow/oss"
)

// The external-server test re-executes the test binary as a separate
// nats-server process (JetStream, user/password, a fixed port), so the
// broker's Config.URLs path runs over TCP against a server it does not own.

const (
	extDirEnv  = "BROKER_EXT_NATS_DIR"
	extPortEnv = "BROKER_EXT_NATS_PORT"
	extUser    = "ossflow"
	extPass    = "s3cret"
)

// TestExternalServerChild is the child: a plain nats-server.
func TestExternalServerChild(t *testing.T) {
	dir := os.Getenv(extDirEnv)
	if dir == "" {
		t.Skip("child of TestExternalServer")
	}
	port, _ := strconv.Atoi(os.Getenv(extPortEnv))
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir,
		Username: extUser, Password: extPass, NoSigs: true,
	})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	go srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		fmt.Println("ERR not ready")
		os.Exit(2)
	}
	fmt.Println("READY", srv.ClientURL())
	srv.WaitForShutdown() // until killed
}

// startExternalServer runs the child server and waits until it is ready.
func startExternalServer(t *testing.T, dir string, port int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestExternalServerChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), extDirEnv+"="+dir, extPortEnv+"="+strconv.Itoa(port))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "READY") {
			go func() { // keep draining
				for sc.Scan() {
				}
			}()
			return cmd
		}
		if strings.HasPrefix(sc.Text(), "ERR") {
			t.Fatalf("external server: %s", sc.Text())
		}
	}
	t.Fatal("external server exited before it was ready")
	return nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestExternalServer: the broker starts while the external server is down
// (writes go on into the outbox), drains once it is up, survives a SIGKILL
// of the server during writes, and ends with every event exactly once.
func TestExternalServer(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir, port := t.TempDir(), freePort(t)
	ob := newFakeOutbox()
	b := startBroker(t, Config{
		URLs: []string{fmt.Sprintf("nats://127.0.0.1:%d", port)}, User: extUser, Password: extPass,
		Outbox: ob, ReconnectWait: 50 * time.Millisecond,
		PublishTimeout: 2 * time.Second, MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		DurabilityHold: 100 * time.Millisecond,
	})
	var ids []string
	add := func(n int) {
		for i := range n {
			ids = append(ids, ob.add("ext", fmt.Sprint(i%5), oss.ObjectCreatedPut).ID)
		}
	}
	add(100) // NATS not running yet
	if p := b.RelayStatus().Published; p != 0 {
		t.Fatalf("published %d with no server", p)
	}
	srv := startExternalServer(t, dir, port)
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p != 100 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	if !strings.Contains(b.ClientURL(), strconv.Itoa(port)) {
		t.Fatalf("ClientURL %q", b.ClientURL())
	}

	// SIGKILL the server in the middle of a stream of writes.
	add(500)
	srv.Process.Kill()
	srv.Wait()
	add(500)
	startExternalServer(t, dir, port)
	add(100)
	checkFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p != uint64(len(ids)) {
			return fmt.Errorf("published %d of %d", p, len(ids))
		}
		return nil
	})
	evs, err := streamEvents(context.Background(), b.JetStream(), b.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkExactlyOnce(evs, ids); err != nil {
		t.Fatal(err)
	}
}
