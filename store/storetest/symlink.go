package storetest

import (
	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("symlink",
		testCase{"Follow", testSymlinkFollow},
		testCase{"Errors", testSymlinkErrors},
	)
}

func testSymlinkFollow(t *T) {
	t.Bucket("bkt")
	link, err := t.E.PutSymlink(t.ctx, oss.PutSymlinkInput{Bucket: "bkt", Key: "link", Target: "target",
		Meta: oss.Metadata{ContentType: "link/type"}})
	if err != nil {
		t.Fatal(err)
	}
	if link.Type != oss.TypeSymlink || link.SymlinkTarget != "target" {
		t.Fatalf("link %+v", link)
	}
	// The target is not checked at creation, only when read.
	_, _, err = t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "link"})
	t.Code(err, oss.SymlinkTargetNotExist)
	_, err = t.E.HeadObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "link"})
	t.Code(err, oss.SymlinkTargetNotExist)
	data := Rand(9, 100<<10)
	tgt := t.Put("bkt", "target", data)
	got, info := t.Get("bkt", "link", "")
	if string(got) != string(data) || info.Size != tgt.Size || info.ETag != tgt.ETag || info.Key != "link" || info.SymlinkTarget != "target" {
		t.Fatalf("followed %+v", info)
	}
	// Ranges apply to the target's data.
	spec := oss.RangeSpec{Start: 10, End: 19}
	out, err := t.E.GetObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "link", Range: &spec})
	if err != nil || out.Range == nil || out.Range.Length != 10 {
		t.Fatalf("range through link %+v %v", out, err)
	}
	out.Body.Close()
	// NoFollow and GetSymlink return the link itself.
	hi, err := t.E.HeadObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "link", NoFollow: true})
	if err != nil || hi.Type != oss.TypeSymlink || hi.SymlinkTarget != "target" || hi.Meta.ContentType != "link/type" {
		t.Fatalf("nofollow %+v %v", hi, err)
	}
	gs, err := t.E.GetSymlink(t.ctx, "bkt", "link", "")
	if err != nil || gs.SymlinkTarget != "target" || gs.Type != oss.TypeSymlink {
		t.Fatalf("GetSymlink %+v %v", gs, err)
	}
	// Listed as a symlink.
	lo, _ := t.E.ListObjects(t.ctx, oss.ListObjectsInput{Bucket: "bkt", Prefix: "link"})
	if len(lo.Objects) != 1 || lo.Objects[0].Type != oss.TypeSymlink {
		t.Fatalf("list %+v", lo)
	}
	if names := t.EventNames("link"); len(names) != 1 || names[0] != oss.ObjectCreatedPutSymlink {
		t.Fatalf("events %v", names)
	}
	// Deleting the target breaks the link again.
	if _, err := t.E.DeleteObject(t.ctx, oss.DeleteObjectInput{Bucket: "bkt", Key: "target"}); err != nil {
		t.Fatal(err)
	}
	_, _, err = t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "link"})
	t.Code(err, oss.SymlinkTargetNotExist)
}

func testSymlinkErrors(t *T) {
	t.Bucket("bkt")
	t.Put("bkt", "obj", []byte("x"))
	if _, err := t.E.PutSymlink(t.ctx, oss.PutSymlinkInput{Bucket: "bkt", Key: "l1", Target: "obj"}); err != nil {
		t.Fatal(err)
	}
	if _, err := t.E.PutSymlink(t.ctx, oss.PutSymlinkInput{Bucket: "bkt", Key: "l2", Target: "l1"}); err != nil {
		t.Fatal(err)
	}
	_, _, err := t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "l2"})
	t.Code(err, oss.InvalidTargetType)
	_, err = t.E.GetSymlink(t.ctx, "bkt", "obj", "")
	t.Code(err, oss.InvalidArgument)
	_, err = t.E.GetSymlink(t.ctx, "bkt", "missing", "")
	t.Code(err, oss.NoSuchKey)
	_, err = t.E.PutSymlink(t.ctx, oss.PutSymlinkInput{Bucket: "bkt", Key: "l3", Target: ""})
	t.Code(err, oss.InvalidArgument)
	_, err = t.E.PutSymlink(t.ctx, oss.PutSymlinkInput{Bucket: "bkt", Key: "", Target: "obj"})
	t.Code(err, oss.InvalidObjectName)
	_, err = t.E.PutSymlink(t.ctx, oss.PutSymlinkInput{Bucket: "bkt", Key: "obj", Target: "x", ForbidOverwrite: true})
	t.Code(err, oss.FileAlreadyExists)
	_, err = t.E.PutSymlink(t.ctx, oss.PutSymlinkInput{Bucket: "nope-b", Key: "l", Target: "x"})
	t.Code(err, oss.NoSuchBucket)
	// Copying a symlink copies the link.
	out, err := t.E.CopyObject(t.ctx, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "l1", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "l1copy"}})
	if err != nil || out.Info.Type != oss.TypeSymlink || out.Info.SymlinkTarget != "obj" {
		t.Fatalf("copied link %+v %v", out.Info, err)
	}
}
