package store_test

import (
	"testing"

	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestConformance runs the one suite against every store kind.
func TestConformance(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) *store.DB { return storetest.Open(t, kind) })
		})
	}
}
