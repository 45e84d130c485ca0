// Package ledger keeps the durable record of every request the gateway answered or refused:
// who asked, for which task, which route and model answered, the tokens, what it cost, what
// the reference cloud model would have cost, and how long it took.
//
// A Store holds the records (internal/ledger/sqlite by default; a PostgreSQL store can be a
// second implementation, since Store has four methods). A Writer sits between the request
// handlers and the Store: handlers call Add (batched durability: queued, written every
// FlushInterval in one transaction) or Commit (strict durability: returns after the record is
// committed), and never wait for I/O with Add. A failed write is retried with backoff and the
// records stay queued; nothing is dropped.
//
// Reports group records in the store, by day, model, route, task, provider or caller:
//
//	store, err := sqlite.Open(filepath.Join(dataDir, "ledger.db"), sqlite.Options{})
//	if err != nil {
//		return err // names the file and the fix when it is corrupt or unwritable
//	}
//	defer store.Close()
//	w := ledger.NewWriter(store, ledger.WriterOptions{Log: log})
//	defer w.Close(shutdownCtx) // drains the queue first
//
//	w.Add(ledger.Record{Time: start, RequestID: id, Route: ledger.RouteLocal, ...})
//
//	days, err := store.Summarize(ctx, ledger.Filter{Since: monthStart}, []string{ledger.ByDay, ledger.ByModel})
package ledger
