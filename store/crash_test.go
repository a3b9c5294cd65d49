package store

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// The crash test re-executes the test binary as a child that mutates a
// store from several goroutines and prints every operation before it starts
// ("B") and once it is acknowledged ("A"). The parent kills the child with
// SIGKILL at a random moment, reopens the store and checks that every
// acknowledged write is present and intact, that nothing partial is
// visible, and that the outbox holds exactly one event per committed
// mutation.

const (
	crashDirEnv  = "STORE_CRASH_DIR"
	crashSeedEnv = "STORE_CRASH_SEED"
	crashWorkers = 6
	crashKeys    = 6 // per worker: a key is only written by its worker
)

// crashOp is one operation of the child, as printed.
type crashOp struct {
	worker, id int
	kind       string // put, del, app
	key        string
	crc        uint64 // put: CRC of the data; app: CRC of the whole object after the append
	size       int64  // put: size; app: object size after the append
	pos        int64  // app: position
	acked      bool
}

func crashData(seed uint64, worker, id int) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(worker)<<32|uint64(id)))
	var n int
	switch r.IntN(4) {
	case 0:
		n = r.IntN(200)
	case 1:
		n = 1000 + r.IntN(4000)
	case 2:
		n = DefaultInlineThreshold - 10 + r.IntN(20)
	default:
		n = 100<<10 + r.IntN(300<<10)
	}
	return randBytes(r, n)
}

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("crash test child only")
	}
	seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	s, err := Open(bg, dir, Options{Owner: oss.Owner{ID: "1"}, Encryption: testEncryption(t, 7)})
	if err != nil {
		fmt.Println("OPENFAIL", err)
		os.Exit(2)
	}
	for _, b := range []string{"crash", "crashv"} {
		if _, err := s.CreateBucket(bg, oss.Bucket{Name: b}); err != nil {
			fmt.Println("BUCKETFAIL", err)
			os.Exit(2)
		}
	}
	if err := s.PutBucketVersioning(bg, "crashv", oss.VersioningEnabled); err != nil {
		fmt.Println("BUCKETFAIL", err)
		os.Exit(2)
	}
	// Encryption at rest: the versioned bucket encrypts by default, and the
	// odd workers ask for SSE on their own writes.
	if err := s.PutBucketEncryption(bg, "crashv", SSEAES256); err != nil {
		fmt.Println("BUCKETFAIL", err)
		os.Exit(2)
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		line := fmt.Sprintf(format+"\n", args...)
		outMu.Lock()
		os.Stdout.WriteString(line)
		outMu.Unlock()
	}
	say("READY")
	var wg sync.WaitGroup
	for w := 0; w < crashWorkers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			sse := ""
			if w%2 == 1 {
				sse = SSEAES256
			}
			lengths := map[string]int64{} // appendable objects: current length, -1 = not appendable
			crcs := map[string]uint64{}
			for id := 0; ; id++ {
				if r.IntN(4) == 0 { // the versioned bucket: puts and delete markers
					key := fmt.Sprintf("v%d/k%d", w, r.IntN(crashKeys))
					if r.IntN(10) < 7 {
						data := crashData(seed, w, id)
						say("B %d %d vput %s %d %d 0", w, id, key, checksum.CRC64(data), len(data))
						if _, err := s.PutObject(bg, oss.PutObjectInput{Bucket: "crashv", Key: key, Size: int64(len(data))}, bytes.NewReader(data)); err != nil {
							say("ERR %v", err)
							os.Exit(3)
						}
					} else {
						say("B %d %d vdel %s 0 0 0", w, id, key)
						if _, err := s.DeleteObject(bg, oss.DeleteObjectInput{Bucket: "crashv", Key: key}); err != nil {
							say("ERR %v", err)
							os.Exit(3)
						}
					}
					say("A %d %d", w, id)
					continue
				}
				key := fmt.Sprintf("w%d/k%d", w, r.IntN(crashKeys))
				switch p := r.IntN(10); {
				case p < 6:
					data := crashData(seed, w, id)
					say("B %d %d put %s %d %d 0", w, id, key, checksum.CRC64(data), len(data))
					if _, err := s.PutObject(bg, oss.PutObjectInput{Bucket: "crash", Key: key, Size: int64(len(data)), SSE: sse}, bytes.NewReader(data)); err != nil {
						say("ERR %v", err)
						os.Exit(3)
					}
					lengths[key] = -1
				case p < 8 && appendSupported:
					data := crashData(seed, w, id)
					pos, ok := lengths[key]
					if !ok {
						pos = 0
					}
					if pos < 0 {
						continue
					}
					crc := checksum.UpdateCRC64(crcs[key], data)
					say("B %d %d app %s %d %d %d", w, id, key, crc, pos+int64(len(data)), pos)
					if _, err := s.AppendObject(bg, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "crash", Key: key, Size: int64(len(data)), SSE: sse}, Position: pos}, bytes.NewReader(data)); err != nil {
						say("ERR %v", err)
						os.Exit(3)
					}
					lengths[key] = pos + int64(len(data))
					crcs[key] = crc
				case p < 9:
					p1 := crashData(seed, w, id)
					if len(p1) < 100<<10 {
						p1 = append(p1, make([]byte, 100<<10)...)
					}
					p2 := crashData(seed, w, id+1<<20)
					all := append(append([]byte(nil), p1...), p2...)
					say("B %d %d mpu %s %d %d 0", w, id, key, checksum.CRC64(all), len(all))
					u, err := s.InitiateMultipartUpload(bg, oss.PutObjectInput{Bucket: "crash", Key: key, SSE: sse})
					if err != nil {
						say("ERR %v", err)
						os.Exit(3)
					}
					for i, part := range [][]byte{p1, p2} {
						if _, err := s.UploadPart(bg, oss.UploadPartInput{Bucket: "crash", Key: key, UploadID: u.UploadID, PartNumber: i + 1, Size: int64(len(part))}, bytes.NewReader(part)); err != nil {
							say("ERR %v", err)
							os.Exit(3)
						}
					}
					if _, err := s.CompleteMultipartUpload(bg, oss.CompleteMultipartInput{Bucket: "crash", Key: key, UploadID: u.UploadID, CompleteAll: true}); err != nil {
						say("ERR %v", err)
						os.Exit(3)
					}
					lengths[key] = -1
				default:
					say("B %d %d del %s 0 0 0", w, id, key)
					if _, err := s.DeleteObject(bg, oss.DeleteObjectInput{Bucket: "crash", Key: key}); err != nil {
						say("ERR %v", err)
						os.Exit(3)
					}
					delete(lengths, key)
					delete(crcs, key)
				}
				say("A %d %d", w, id)
			}
		}(w)
	}
	wg.Wait()
}

// appendSupported switches appends into the crash workload.
var appendSupported = true

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	rounds := 4
	for round := 0; round < rounds; round++ {
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			runCrashRound(t, seed, time.Duration(300+rand.IntN(900))*time.Millisecond)
		})
	}
}

func runCrashRound(t *testing.T, seed uint64, after time.Duration) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashSeedEnv+"="+strconv.FormatUint(seed, 10))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan []string, 1)
	readyc := make(chan struct{})
	go func() {
		var all []string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "READY" {
				close(readyc)
			}
			all = append(all, sc.Text())
		}
		lines <- all
	}()
	select { // the kill timer starts once the child is working
	case <-readyc:
	case <-time.After(30 * time.Second):
	}
	time.Sleep(after)
	cmd.Process.Kill()
	all := <-lines
	cmd.Wait()

	// Parse the log: per worker, the ops in order.
	ops := map[[2]int]*crashOp{}
	var order []*crashOp
	ready := false
	for _, l := range all {
		f := strings.Fields(l)
		switch {
		case len(f) == 1 && f[0] == "READY":
			ready = true
		case len(f) == 8 && f[0] == "B":
			op := &crashOp{kind: f[3], key: f[4]}
			op.worker, _ = strconv.Atoi(f[1])
			op.id, _ = strconv.Atoi(f[2])
			op.crc, _ = strconv.ParseUint(f[5], 10, 64)
			op.size, _ = strconv.ParseInt(f[6], 10, 64)
			op.pos, _ = strconv.ParseInt(f[7], 10, 64)
			ops[[2]int{op.worker, op.id}] = op
			order = append(order, op)
		case len(f) == 3 && f[0] == "A":
			w, _ := strconv.Atoi(f[1])
			id, _ := strconv.Atoi(f[2])
			ops[[2]int{w, id}].acked = true
		case len(f) > 0 && (f[0] == "ERR" || f[0] == "OPENFAIL" || f[0] == "BUCKETFAIL"):
			t.Fatalf("child: %s", l)
		}
	}
	if !ready {
		t.Fatalf("child never got ready; output %q", all)
	}
	acked := 0
	for _, op := range order {
		if op.acked {
			acked++
		}
	}
	t.Logf("%d ops begun, %d acknowledged before the kill", len(order), acked)

	s, err := Open(bg, dir, Options{Owner: oss.Owner{ID: "1"}, Encryption: testEncryption(t, 7)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Expected state per key after the acknowledged ops, plus the one
	// possibly committed in-flight op of its worker.
	type state struct {
		exists bool
		crc    uint64
		size   int64
	}
	apply := func(st state, op *crashOp) state {
		switch op.kind {
		case "put", "app", "mpu":
			return state{true, op.crc, op.size}
		}
		return state{}
	}
	byKey := map[string][]*crashOp{}
	for _, op := range order {
		byKey[op.key] = append(byKey[op.key], op)
	}
	evs, err := s.OutboxRead(bg, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	evByKey := map[string][]oss.Event{}
	bucketSeq := map[string]uint64{}
	for i, ev := range evs {
		bucketSeq[ev.Bucket]++
		if ev.Seq != uint64(i+1) || ev.BucketSeq != bucketSeq[ev.Bucket] {
			t.Fatalf("event %d has Seq %d BucketSeq %d", i, ev.Seq, ev.BucketSeq)
		}
		if ev.Key != "" {
			evByKey[ev.Key] = append(evByKey[ev.Key], ev)
		}
	}
	fileExtents := 0
	var appendables []oss.ObjectInfo
	for w := 0; w < crashWorkers; w++ {
		for k := 0; k < crashKeys; k++ {
			key := fmt.Sprintf("w%d/k%d", w, k)
			kops := byKey[key]
			var st state
			var committed []*crashOp // ops whose effect must have an event
			var pending *crashOp
			for _, op := range kops {
				if !op.acked {
					if pending != nil {
						t.Fatalf("two unacknowledged ops on %s", key)
					}
					pending = op
					continue
				}
				if pending != nil {
					t.Fatalf("op after an unacknowledged one on %s", key)
				}
				if op.kind != "del" || st.exists {
					committed = append(committed, op)
				}
				st = apply(st, op)
			}
			info, gotData, err := readAll(s, "crash", key)
			var got state
			if err == nil {
				got = state{true, checksum.CRC64(gotData), int64(len(gotData))}
				if info.CRC64 != got.crc || info.Size != got.size {
					t.Fatalf("%s: record CRC/size %d/%d, data %d/%d", key, info.CRC64, info.Size, got.crc, got.size)
				}
				if wantSSE := map[bool]string{true: SSEAES256}[w%2 == 1]; info.SSE != wantSSE {
					t.Fatalf("%s: SSE %q, want %q", key, info.SSE, wantSSE)
				}
				if info.Type == oss.TypeAppendable {
					appendables = append(appendables, info)
				}
				switch {
				case info.Type == oss.TypeMultipart:
					fileExtents++ // the first part is at least 100 KiB
					for _, op := range append(kops[:len(kops):len(kops)], pending) {
						if op != nil && op.kind == "mpu" && op.crc == got.crc {
							if len(crashData(seed, op.worker, op.id+1<<20)) > DefaultInlineThreshold {
								fileExtents++
							}
							break
						}
					}
				case got.size > DefaultInlineThreshold || info.Type == oss.TypeAppendable:
					fileExtents++
				}
			} else if !oss.IsCode(err, oss.NoSuchKey) {
				t.Fatalf("%s: %v", key, err)
			}
			if got != st {
				if pending == nil || got != apply(st, pending) {
					t.Fatalf("%s: state %+v, want %+v (pending %+v)", key, got, st, pending)
				}
				committed = append(committed, pending)
			}
			// The events: those of every committed op, then possibly a
			// prefix of those of an uncommitted multipart op (its initiate
			// and part uploads are mutations of their own).
			var want []oss.EventName
			for _, op := range committed {
				want = append(want, crashEvents(op)...)
			}
			kevs := evByKey[key]
			extra := 0
			if pending != nil && (len(committed) == 0 || committed[len(committed)-1] != pending) && pending.kind == "mpu" {
				extra = len(crashEvents(pending)) - 1
			}
			if len(kevs) < len(want) || len(kevs) > len(want)+extra {
				t.Fatalf("%s: %d events, want %d (+ up to %d)", key, len(kevs), len(want), extra)
			}
			if pending != nil && extra > 0 {
				want = append(want, crashEvents(pending)[:len(kevs)-len(want)]...)
			}
			j := 0
			for _, op := range committed {
				opEvents := crashEvents(op)
				for i := range opEvents {
					if kevs[j].Name != want[j] {
						t.Fatalf("%s: event %d is %s, want %s", key, j, kevs[j].Name, want[j])
					}
					if i == len(opEvents)-1 && op.kind != "del" && kevs[j].Record.OSS.Object.Size != op.size {
						t.Fatalf("%s: event %d size %d, want %d", key, j, kevs[j].Record.OSS.Object.Size, op.size)
					}
					j++
				}
			}
			for ; j < len(kevs); j++ {
				if kevs[j].Name != want[j] {
					t.Fatalf("%s: event %d is %s, want %s", key, j, kevs[j].Name, want[j])
				}
			}
		}
	}
	fileExtents += checkVersionedCrash(t, s, byKey, evByKey)
	// Parts of uploads interrupted by the kill keep their data.
	lu, err := s.ListMultipartUploads(bg, oss.ListUploadsInput{Bucket: "crash"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range lu.Uploads {
		lp, err := s.ListParts(bg, oss.ListPartsInput{Bucket: "crash", Key: u.Key, UploadID: u.UploadID})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range lp.Parts {
			if p.Size > DefaultInlineThreshold {
				fileExtents++
			}
		}
	}
	st, _ := s.BucketStat(bg, "crash")
	if st.MultipartUploadCount != int64(len(lu.Uploads)) {
		t.Fatalf("upload count %d, %d uploads", st.MultipartUploadCount, len(lu.Uploads))
	}
	s.SweepBlobs(bg)
	if n := countBlobFiles(t, dir); n != fileExtents {
		t.Fatalf("%d blob files for %d file-backed objects", n, fileExtents)
	}
	// The reopened store takes writes, appends included (on an encrypted
	// object, past whatever tail the kill left).
	if _, err := s.PutObject(bg, oss.PutObjectInput{Bucket: "crash", Key: "after", Size: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	for _, info := range appendables {
		more := crashData(seed, 99, int(info.Size))
		out, err := s.AppendObject(bg, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "crash", Key: info.Key, Size: int64(len(more))}, Position: info.Size}, bytes.NewReader(more))
		if err != nil {
			t.Fatalf("append after the crash to %s: %v", info.Key, err)
		}
		_, data, err := readAll(s, "crash", info.Key)
		if err != nil || checksum.CRC64(data) != out.CRC64 || checksum.CRC64(data[info.Size:]) != checksum.CRC64(more) {
			t.Fatalf("%s after an append past the crash: %v", info.Key, err)
		}
	}
}

func readAll(s *Store, bucket, key string) (oss.ObjectInfo, []byte, error) {
	out, err := s.GetObject(bg, oss.GetObjectInput{Bucket: bucket, Key: key})
	if err != nil {
		return oss.ObjectInfo{}, nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return out.Info, b, err
}

// crashEvents are the events one logged op produces when it commits.
func crashEvents(op *crashOp) []oss.EventName {
	switch op.kind {
	case "put":
		return []oss.EventName{oss.ObjectCreatedPut}
	case "app":
		return []oss.EventName{oss.ObjectCreatedAppend}
	case "mpu":
		return []oss.EventName{oss.ObjectCreatedInitiateMultipart, oss.ObjectCreatedUploadPart, oss.ObjectCreatedUploadPart, oss.ObjectCreatedCompleteMultipart}
	}
	return []oss.EventName{oss.ObjectRemovedDelete}
}

// checkVersionedCrash checks the versioned bucket after the kill: each
// key's versions (newest first) are exactly those of its committed puts and
// deletes (delete markers), each version reads back whole, and each has
// one event. It returns the number of versions stored in blob files.
func checkVersionedCrash(t *testing.T, s *Store, byKey map[string][]*crashOp, evByKey map[string][]oss.Event) int {
	files := 0
	for w := 0; w < crashWorkers; w++ {
		for k := 0; k < crashKeys; k++ {
			key := fmt.Sprintf("v%d/k%d", w, k)
			var committed []*crashOp
			var pending *crashOp
			for _, op := range byKey[key] {
				if op.acked {
					committed = append(committed, op)
				} else {
					pending = op
				}
			}
			out, err := s.ListObjectVersions(bg, oss.ListVersionsInput{Bucket: "crashv", Prefix: key, MaxKeys: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var vs []oss.ObjectInfo
			for _, v := range out.Versions {
				if v.Key == key {
					vs = append(vs, v)
				}
			}
			if pending != nil && len(vs) == len(committed)+1 {
				committed = append(committed, pending)
			}
			if len(vs) != len(committed) {
				t.Fatalf("%s: %d versions for %d committed ops (pending %v)", key, len(vs), len(committed), pending != nil)
			}
			for i, v := range vs {
				op := committed[len(committed)-1-i]
				if v.DeleteMarker != (op.kind == "vdel") || v.IsLatest != (i == 0) {
					t.Fatalf("%s: version %d is %+v for op %+v", key, i, v, op)
				}
				if v.DeleteMarker {
					continue
				}
				gout, err := s.GetObject(bg, oss.GetObjectInput{Bucket: "crashv", Key: key, VersionID: v.VersionID})
				if err != nil {
					t.Fatalf("%s@%s: %v", key, v.VersionID, err)
				}
				data, err := io.ReadAll(gout.Body)
				gout.Body.Close()
				if err != nil || checksum.CRC64(data) != op.crc || int64(len(data)) != op.size || gout.Info.CRC64 != op.crc {
					t.Fatalf("%s@%s: data does not match its put", key, v.VersionID)
				}
				if op.size > DefaultInlineThreshold {
					files++
				}
			}
			kevs := evByKey[key]
			if len(kevs) != len(committed) {
				t.Fatalf("%s: %d events for %d committed ops", key, len(kevs), len(committed))
			}
			for i, op := range committed {
				want := map[string]oss.EventName{"vput": oss.ObjectCreatedPut, "vdel": oss.ObjectRemovedDelete}[op.kind]
				if kevs[i].Name != want || kevs[i].VersionID != vs[len(vs)-1-i].VersionID {
					t.Fatalf("%s: event %d is %s@%s, want %s@%s", key, i, kevs[i].Name, kevs[i].VersionID, want, vs[len(vs)-1-i].VersionID)
				}
			}
		}
	}
	return files
}
