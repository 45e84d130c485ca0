// Package ledgertest holds test doubles for the ledger. Only tests import it.
package ledgertest

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
)

// ErrInjected is the error a BreakableStore's Insert fails with while broken.
var ErrInjected = errors.New("disk I/O error (injected)")

// BreakableStore wraps a real store and fails every Insert while Broken is set, as a full or
// failing disk would; everything else goes to the store it wraps.
type BreakableStore struct {
	ledger.Store
	Broken atomic.Bool
}

// Insert fails with ErrInjected while Broken is set, and writes through otherwise.
func (s *BreakableStore) Insert(ctx context.Context, recs []ledger.Record) error {
	if s.Broken.Load() {
		return ErrInjected
	}
	return s.Store.Insert(ctx, recs)
}
