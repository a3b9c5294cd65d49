package client_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/server"
)

func Example() {
	// A throwaway server; normally the endpoint is an ossflow started with
	// "ossflow server" and the credentials are the ones it printed.
	dir, _ := os.MkdirTemp("", "ossflow-client-example-")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", DataDir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		panic(err)
	}
	if err := srv.Start(ctx); err != nil {
		panic(err)
	}
	defer srv.Shutdown(ctx)
	creds := srv.Credentials()

	c, err := client.New(srv.Endpoint(), creds.AccessKeyID, creds.AccessKeySecret)
	if err != nil {
		panic(err)
	}
	if err := c.CreateBucket(ctx, "photos", nil); err != nil {
		panic(err)
	}
	body := "not really a jpeg"
	if _, err := c.PutObject(ctx, "photos", "2024/cat.jpg", strings.NewReader(body), int64(len(body)),
		&client.PutOptions{ContentType: "image/jpeg"}); err != nil {
		panic(err)
	}
	for entry, err := range c.Objects(ctx, "photos", &client.ListOptions{Prefix: "2024/"}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(entry.Key, entry.Size)
	}
	rc, info, err := c.GetObject(ctx, "photos", "2024/cat.jpg", nil)
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc) // the CRC-64 is checked at EOF
	if err != nil {
		panic(err)
	}
	fmt.Println(info.ContentType, string(data))

	_, err = c.HeadObject(ctx, "photos", "2024/dog.jpg", nil)
	fmt.Println(client.IsCode(err, "NoSuchKey"))
	// Output:
	// 2024/cat.jpg 17
	// image/jpeg not really a jpeg
	// true
}
