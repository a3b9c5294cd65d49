package store_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/store"
)

func Example() {
	dir, _ := os.MkdirTemp("", "ossflow-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := store.Open(ctx, dir, store.Options{Owner: oss.Owner{ID: "1234567890"}})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	if _, err := s.CreateBucket(ctx, oss.Bucket{Name: "examplebucket"}); err != nil {
		log.Fatal(err)
	}
	body := "hi oss"
	info, err := s.PutObject(ctx, oss.PutObjectInput{Bucket: "examplebucket", Key: "greeting.txt", Size: int64(len(body))}, strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ETag:", info.ETag, "CRC64:", info.CRC64)

	out, err := s.GetObject(ctx, oss.GetObjectInput{Bucket: "examplebucket", Key: "greeting.txt"})
	if err != nil {
		log.Fatal(err)
	}
	defer out.Body.Close()
	data, _ := io.ReadAll(out.Body)
	fmt.Println(string(data))

	_, err = s.GetObject(ctx, oss.GetObjectInput{Bucket: "examplebucket", Key: "missing"})
	fmt.Println(oss.CodeOf(err))
	// Output:
	// ETag: "B22E0DC370A7F7067FACF5F75D7FA385" CRC64: 8707180448768400016
	// hi oss
	// NoSuchKey
}
