package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"strings"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	ossv2creds "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossflow/ossflow/server"
	"github.com/ossflow/ossflow/server/servertest"
)

func TestImageFlags(t *testing.T) {
	def := server.ImagesConfig{CacheBytes: 64 << 20}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    server.ImagesConfig
		wantErr string
	}{
		{"defaults", nil, nil, def, ""},
		{"empty env is unset", map[string]string{envStyleDelimiters: "", envImageConcurrency: "", envImageCache: ""}, nil, def, ""},
		{"env", map[string]string{envStyleDelimiters: "!-", envImageConcurrency: "3", envImageCache: "16MiB"}, nil,
			server.ImagesConfig{StyleDelimiters: "!-", Concurrency: 3, CacheBytes: 16 << 20}, ""},
		{"flags beat env", map[string]string{envStyleDelimiters: "-", envImageConcurrency: "3", envImageCache: "16MiB"},
			[]string{"--style-delimiters", "!", "--image-concurrency", "5", "--image-cache", "1G"},
			server.ImagesConfig{StyleDelimiters: "!", Concurrency: 5, CacheBytes: 1 << 30}, ""},
		{"bytes", nil, []string{"--image-cache=1048576"}, server.ImagesConfig{CacheBytes: 1 << 20}, ""},
		{"cache off", map[string]string{envImageCache: "16MiB"}, []string{"--image-cache", "0"}, server.ImagesConfig{CacheBytes: -1}, ""},
		{"bad env int", map[string]string{envImageConcurrency: "many"}, nil, server.ImagesConfig{}, envImageConcurrency},
		{"bad size", nil, []string{"--image-cache", "lots"}, server.ImagesConfig{}, "--image-cache"},
		{"bad env size", map[string]string{envImageCache: "-5"}, nil, server.ImagesConfig{}, "--image-cache"},
		{"bad delimiter", nil, []string{"--style-delimiters", "!."}, server.ImagesConfig{}, "--style-delimiters"},
		{"bad env delimiter", map[string]string{envStyleDelimiters: "?"}, nil, server.ImagesConfig{}, "--style-delimiters"},
		{"negative concurrency", nil, []string{"--image-concurrency", "-1"}, server.ImagesConfig{}, "--image-concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sf, e := parseServerFlags(t, tt.env, tt.args)
			cfg, _, err := sf.config(e)
			if tt.wantErr != "" {
				var ue *usageError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ue) {
					t.Fatalf("want a usage error about %s, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Images != tt.want {
				t.Fatalf("images config = %+v, want %+v", cfg.Images, tt.want)
			}
		})
	}
}

// TestStyleDelimitersThroughServer runs "ossflow server --style-delimiters
// '!'" and reads <key>!<style>.
func TestStyleDelimitersThroughServer(t *testing.T) {
	const ak, sk = "LTAI5tStyleDelimTest", "style-delimiter-secret"
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- doMain(ctx, []string{"server", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--lifecycle-interval", "-1s",
			"--no-events", "--style-delimiters", "!", "--image-cache", "8MiB"},
			envFunc(map[string]string{envAccessKey: ak, envSecret: sk}), strings.NewReader(""), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("server exited %d: %s", code, stderr.String())
		}
	})
	var endpoint string
	servertest.CheckFor(t, 20*time.Second, func() error {
		m := listenRE.FindStringSubmatch(stderr.String())
		if m == nil {
			return errors.New("server not listening yet:\n" + stderr.String())
		}
		endpoint = "http://" + m[1]
		return nil
	})

	c := ossv2.NewClient(ossv2.LoadDefaultConfig().
		WithCredentialsProvider(ossv2creds.NewStaticCredentialsProvider(ak, sk)).
		WithRegion("cn-hangzhou").WithEndpoint(endpoint).WithUsePathStyle(true).
		WithSignatureVersion(ossv2.SignatureVersionV4).WithRetryMaxAttempts(1))
	tctx := t.Context()
	if _, err := c.PutBucket(tctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("pics")}); err != nil {
		t.Fatal(err)
	}
	m := image.NewRGBA(image.Rect(0, 0, 300, 150))
	for i := range m.Pix {
		m.Pix[i] = uint8(i)
	}
	m.Set(0, 0, color.White)
	var src bytes.Buffer
	if err := jpeg.Encode(&src, m, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(tctx, &ossv2.PutObjectRequest{Bucket: ossv2.Ptr("pics"), Key: ossv2.Ptr("photo.jpg"), Body: &src}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutStyle(tctx, &ossv2.PutStyleRequest{Bucket: ossv2.Ptr("pics"), StyleName: ossv2.Ptr("thumb"),
		Style: &ossv2.StyleContent{Content: ossv2.Ptr("image/resize,w_60")}}); err != nil {
		t.Fatal(err)
	}
	res, err := c.GetObject(tctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("pics"), Key: ossv2.Ptr("photo.jpg!thumb")})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || format != "jpeg" || cfg.Width != 60 || cfg.Height != 30 {
		t.Fatalf("photo.jpg!thumb: %s %dx%d %v", format, cfg.Width, cfg.Height, err)
	}
	// Another delimiter is not one.
	_, err = c.GetObject(tctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("pics"), Key: ossv2.Ptr("photo.jpg-thumb")})
	var se *ossv2.ServiceError
	if !errors.As(err, &se) || se.Code != "NoSuchKey" {
		t.Fatalf("photo.jpg-thumb: %v", err)
	}
}
