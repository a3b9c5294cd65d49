package server

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of Config.
const (
	DefaultAddr              = "127.0.0.1:9000"
	DefaultRegion            = "cn-hangzhou"
	DefaultShutdownTimeout   = 30 * time.Second
	DefaultLifecycleInterval = time.Hour
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	// DefaultMaxHeaderBytes bounds request headers (OSS allows 8 KiB of
	// user metadata; 64 KiB leaves room for signatures and the rest).
	DefaultMaxHeaderBytes = 64 << 10
)

// Config configures a Server. Zero values take the defaults above.
type Config struct {
	// Addr is the listen address; "127.0.0.1:0" picks a free port (see
	// Server.Addr).
	Addr string
	// DataDir holds everything the server stores: the object store under
	// DataDir/store and the generated credentials in DataDir/credentials.json.
	DataDir string
	// Region is the region ossflow runs as (default cn-hangzhou).
	Region string
	// Domains are the base domains of virtual-hosted addressing.
	Domains []string

	// AccessKeyID and AccessKeySecret are the root credentials. When both
	// are empty, the credentials stored in DataDir are used, generated on
	// the first start.
	AccessKeyID     string
	AccessKeySecret string

	// SSEMasterKey is the base64 master key of server-side encryption at
	// rest (32 bytes; the command takes it from OSSFLOW_SSE_MASTER_KEY).
	// When empty, the key is read from SSEMasterKeyFile, which must exist,
	// or else from DataDir/sse-master.key, generated on the first start.
	// Objects encrypted under one master key cannot be read under another.
	SSEMasterKey     string
	SSEMasterKeyFile string

	// BlockPublicAccess ignores public ACLs and public bucket-policy grants
	// on every bucket (buckets can also block them one by one with
	// PUT /?publicAccessBlock).
	BlockPublicAccess bool

	// Events configures the event plane (embedded NATS JetStream by
	// default).
	Events EventsConfig

	// Functions configures the functions platform (on by default).
	Functions FunctionsConfig

	// Images configures image processing (see ImagesConfig).
	Images ImagesConfig

	// PyroscopeURL, when set, enables continuous profiling to that server.
	PyroscopeURL string

	// ShutdownTimeout bounds how long Run waits for in-flight requests.
	ShutdownTimeout time.Duration
	// LifecycleInterval is how often lifecycle rules are applied; negative
	// disables the loop.
	LifecycleInterval time.Duration

	// HTTP server limits.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int

	// Now is the clock; nil means time.Now (tests inject one).
	Now func() time.Time
}

func (c Config) withDefaults() (Config, error) {
	if c.DataDir == "" {
		return c, errors.New("server: Config.DataDir is required")
	}
	if (c.AccessKeyID == "") != (c.AccessKeySecret == "") {
		return c, errors.New("server: set both AccessKeyID and AccessKeySecret, or neither")
	}
	if c.AccessKeyID != "" {
		if err := validCredential(Credentials{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret}); err != nil {
			return c, fmt.Errorf("server: configured credentials: %w", err)
		}
	}
	if err := c.Images.Validate(); err != nil {
		return c, err
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.LifecycleInterval == 0 {
		c.LifecycleInterval = DefaultLifecycleInterval
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
