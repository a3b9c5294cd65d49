package store_test

import (
	"context"
	"testing"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/store"
	"github.com/ossflow/ossflow/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Engine {
		s, err := store.Open(context.Background(), t.TempDir(), store.Options{Owner: oss.Owner{ID: "1234567890", DisplayName: "owner"}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// The suite also passes with everything in blob files.
func TestConformanceNoInline(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Engine {
		s, err := store.Open(context.Background(), t.TempDir(), store.Options{InlineThreshold: -1})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
