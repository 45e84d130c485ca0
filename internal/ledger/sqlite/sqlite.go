// Package sqlite is the ledger's default store: one embedded SQLite file, through the pure-Go
// driver modernc.org/sqlite (no cgo, so the gateway cross-compiles as one static binary; see
// docs/BENCHMARKS.md, "Ledger: SQLite driver", for the comparison that chose it).
//
// The file is in WAL mode, so that reports read while the writer writes. With batched
// durability it runs synchronous=NORMAL: in WAL mode a commit then costs no fsync, the
// database stays consistent through a power loss, and only the last commits before the loss
// can be rolled back — no worse than the records the Writer still holds in memory at that
// moment. With strict durability it runs synchronous=FULL: every commit fsyncs the WAL, so a
// record the Writer reported committed survives a power loss too.
//
// Open refuses, with an error that names the file and the fix, a file that is not a SQLite
// database, a corrupt one, a directory, and a file or directory it cannot write; it never falls
// back to an in-memory database.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Options configures a Store. Zero values mean the defaults given on each field.
type Options struct {
	// Durability is ledger.DurabilityBatched ("" too; synchronous=NORMAL) or
	// ledger.DurabilityStrict (synchronous=FULL). Any other value means strict.
	Durability string
	// BusyTimeout is how long a statement waits for another connection's lock (another
	// process on the same file, or a long report) before it fails. 0 = 5s.
	BusyTimeout time.Duration
	// ReadConns is how many connections serve Records and Summarize at once. 0 = 4.
	ReadConns int
}

func (o Options) withDefaults() Options {
	if o.Durability == "" {
		o.Durability = ledger.DurabilityBatched
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	return o
}

// Sentinel errors Open wraps, for callers such as `sovereign doctor` that tell the cases apart.
var (
	// ErrCorrupt: the file is not a SQLite database, is damaged, or belongs to another program.
	ErrCorrupt = errors.New("ledger database is not usable")
	// ErrUnwritable: the file or its directory cannot be created or written.
	ErrUnwritable = errors.New("ledger database cannot be written")
	// ErrLocked: another process holds the database's lock for longer than BusyTimeout.
	ErrLocked = errors.New("ledger database is locked")
)

// Store is a ledger.Store on one SQLite file. Its methods are safe for concurrent use.
type Store struct {
	path   string
	w      *sql.DB                    // one connection: SQLite has one writer at a time, and Insert's statement stays prepared
	r      *sql.DB                    // query_only connections for Records and Summarize
	insert [len(insertRows)]*sql.Stmt // an INSERT of insertRows[k] rows
}

var _ ledger.Store = (*Store)(nil)

// applicationID marks the file as a Sovereign ledger ("Sovr"), so that Open refuses another
// program's SQLite database instead of adding tables to it.
const applicationID = 0x536f7672

// Open opens the ledger database at path, creating the file (and its directory) when missing,
// checks it with PRAGMA quick_check, and brings its schema up to date.
func Open(path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if path == "" {
		return nil, errors.New("ledger database path is empty; set SOVEREIGN_DATA to a writable directory")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("ledger database %s: %w", path, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, &openError{
			msg:  fmt.Sprintf("ledger database %s is a directory, not a file; remove or rename it, or set SOVEREIGN_DATA to another directory", abs),
			kind: ErrUnwritable,
		}
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, &openError{
			msg:  fmt.Sprintf("ledger database %s cannot be created (%v); make its directory writable by this user, or set SOVEREIGN_DATA to another directory", abs, err),
			kind: ErrUnwritable,
			err:  err,
		}
	}

	sync := "NORMAL"
	if opts.Durability != ledger.DurabilityBatched {
		sync = "FULL"
	}
	busy := strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)
	w, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma": {"busy_timeout(" + busy + ")", "foreign_keys(1)", "synchronous(" + sync + ")"},
		"_txlock": {"immediate"}, // take the write lock at BEGIN: no deadlock upgrading a read
	}))
	if err != nil {
		return nil, classify(abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: abs, w: w}
	if err := s.prepare(); err != nil {
		w.Close()
		return nil, err
	}

	r, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma": {"busy_timeout(" + busy + ")", "query_only(1)"},
	}))
	if err != nil {
		w.Close()
		return nil, classify(abs, err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	if err := r.Ping(); err != nil {
		w.Close()
		r.Close()
		return nil, classify(abs, err)
	}
	s.r = r
	return s, nil
}

// dsn makes a file: URI, so that no character of the path is taken for a parameter.
func dsn(path string, params url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: params.Encode()}
	if !strings.HasPrefix(u.Path, "/") { // Windows: file:///C:/...
		u.Path = "/" + u.Path
	}
	return u.String()
}

// prepare checks the file, migrates it and prepares the insert statement, all on the write
// connection.
func (s *Store) prepare() error {
	ctx := context.Background()
	// The first statement that reads the file: a non-database fails here.
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return classify(s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return &openError{
			msg:  fmt.Sprintf("ledger database %s cannot use WAL mode (journal_mode is %s); put it on a local file system, or set SOVEREIGN_DATA to another directory", s.path, mode),
			kind: ErrUnwritable,
		}
	}
	if err := s.quickCheck(ctx); err != nil {
		return err
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	for k, n := range insertRows {
		stmt, err := s.w.PrepareContext(ctx, insertSQL(n))
		if err != nil {
			return fmt.Errorf("ledger database %s: prepare insert: %w", s.path, err)
		}
		s.insert[k] = stmt
	}
	return nil
}

func (s *Store) quickCheck(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, "PRAGMA quick_check(5)")
	if err != nil {
		return classify(s.path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return classify(s.path, err)
		}
		for _, l := range strings.Split(line, "\n") {
			if l = strings.TrimSpace(l); l != "" && l != "ok" && !strings.HasPrefix(l, "***") {
				problems = append(problems, l)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return classify(s.path, err)
	}
	if len(problems) > 0 {
		return &openError{
			msg: fmt.Sprintf("ledger database %s is damaged (quick_check: %s); move it aside (a new ledger starts empty) or set SOVEREIGN_DATA to another directory",
				s.path, strings.Join(problems, "; ")),
			kind: ErrCorrupt,
		}
	}
	return nil
}

// migrate applies the migrations the file lacks, in one IMMEDIATE transaction, and records the
// schema version in PRAGMA user_version. It writes user_version even when nothing is pending,
// so that a read-only file fails here, at Open, and not at the first Insert.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return classify(s.path, err)
	}
	defer tx.Rollback()
	var version, appID int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return classify(s.path, err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return classify(s.path, err)
	}
	if appID != 0 && appID != applicationID {
		return &openError{
			msg:  fmt.Sprintf("ledger database %s is another program's SQLite database (application_id %#x); move it aside or set SOVEREIGN_DATA to another directory", s.path, appID),
			kind: ErrCorrupt,
		}
	}
	if appID == 0 && version == 0 {
		var tables int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
			return classify(s.path, err)
		}
		if tables > 0 {
			return &openError{
				msg:  fmt.Sprintf("ledger database %s is another program's SQLite database (it has tables but no Sovereign schema); move it aside or set SOVEREIGN_DATA to another directory", s.path),
				kind: ErrCorrupt,
			}
		}
	}
	if version > len(migrations) {
		return &openError{
			msg: fmt.Sprintf("ledger database %s has schema version %d, newer than this gateway's %d; upgrade sovereign, or set SOVEREIGN_DATA to another directory",
				s.path, version, len(migrations)),
			kind: ErrCorrupt,
		}
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("ledger database %s: migration %d: %w", s.path, i+1, err)
		}
	}
	// PRAGMA takes no parameters; both values are integers of ours.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return classify(s.path, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return classify(s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return classify(s.path, err)
	}
	return nil
}

// Close runs PRAGMA optimize (fresh statistics for the query planner) and closes the file.
func (s *Store) Close() error {
	_, _ = s.w.Exec("PRAGMA optimize")
	var err error
	for _, stmt := range s.insert {
		if stmt != nil {
			err = errors.Join(err, stmt.Close())
		}
	}
	if rerr := s.r.Close(); err == nil {
		err = rerr
	}
	if werr := s.w.Close(); err == nil {
		err = werr
	}
	return err
}

// Path returns the database file's absolute path.
func (s *Store) Path() string { return s.path }

const columns = `id, time_us, request_id, caller, team, task, session, user, ingress, stream,
	requested_model, route, provider, model, input_tokens, output_tokens, cached_input_tokens,
	cache_write_tokens, reasoning_tokens, tokens_estimated, latency_ms, ttft_ms, status,
	error_code, outcome, cost_usd, counterfactual_usd, saved_usd, reference_model,
	price_table_date, prompt, metadata, dropped, route_reason, decision, privacy`

// insertCols are the columns Insert writes, in the order appendInsertArgs appends their values.
const insertCols = `time_us, request_id, caller, team, task, session, user, ingress, stream, requested_model,
	route, provider, model, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,
	reasoning_tokens, tokens_estimated, latency_ms, ttft_ms, status, error_code, outcome,
	cost_usd, counterfactual_usd, saved_usd, reference_model, price_table_date, prompt, metadata,
	dropped, route_reason, decision, privacy`

// insertWidth is the number of insertCols.
const insertWidth = 35

// insertRows are the row counts of Insert's prepared statements, largest first: a batch is
// written with as few statements as these sizes allow. One statement of many rows costs far
// less than as many one-row statements (binding, stepping and resetting a statement has a
// fixed cost in the driver), and 64 rows stay well inside SQLite's limit on parameters.
var insertRows = [...]int{64, 8, 1}

// insertSQL is an INSERT of n rows.
func insertSQL(n int) string {
	row := "(" + strings.Repeat("?,", insertWidth-1) + "?)"
	var b strings.Builder
	b.WriteString("INSERT INTO requests (" + insertCols + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

// Insert writes recs in one transaction and sets their IDs.
func (s *Store) Insert(ctx context.Context, recs []ledger.Record) error {
	if len(recs) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger insert: %w", err)
	}
	defer tx.Rollback()
	ids := make([]int64, len(recs))
	args := make([]any, 0, min(len(recs), insertRows[0])*insertWidth)
	var stmts [len(insertRows)]*sql.Stmt
	for i, k := 0, 0; i < len(recs); {
		for insertRows[k] > len(recs)-i {
			k++
		}
		n := insertRows[k]
		args = args[:0]
		for j := i; j < i+n; j++ {
			if args, err = appendInsertArgs(args, &recs[j]); err != nil {
				return fmt.Errorf("ledger insert: record %q: %w", recs[j].RequestID, err)
			}
		}
		if stmts[k] == nil {
			stmts[k] = tx.StmtContext(ctx, s.insert[k]) // closed with the transaction
		}
		res, err := stmts[k].ExecContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("ledger insert: %w", err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("ledger insert: %w", err)
		}
		// The rows of one statement get consecutive rowids, in order, the last one last: the
		// table has no AUTOINCREMENT and this transaction holds the write lock.
		for j := range n {
			ids[i+j] = last - int64(n-1-j)
		}
		i += n
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger insert: commit: %w", err)
	}
	for i := range recs {
		recs[i].ID = ids[i]
	}
	return nil
}

// appendInsertArgs appends r's values for insertCols to args.
func appendInsertArgs(args []any, r *ledger.Record) ([]any, error) {
	var meta any
	if len(r.Metadata) > 0 {
		b, err := json.Marshal(r.Metadata)
		if err != nil {
			return nil, err
		}
		meta = string(b)
	}
	var decision any
	if len(r.Decision) > 0 {
		decision = string(r.Decision)
	}
	return append(args,
		r.Time.UnixMicro(), r.RequestID, r.Caller, r.Team, r.Task, r.Session, r.User, r.Ingress,
		r.Stream, r.RequestedModel, r.Route, r.Provider, r.Model, r.InputTokens, r.OutputTokens,
		r.CachedInputTokens, r.CacheWriteTokens, r.ReasoningTokens, r.TokensEstimated,
		finite(r.LatencyMS), finite(r.TTFTMS), r.Status, r.ErrorCode, r.Outcome,
		money(r.CostUSD), money(r.CounterfactualUSD), money(r.SavedUSD), r.ReferenceModel,
		r.PriceTableDate, r.Prompt, meta, r.Dropped, r.RouteReason, decision, r.Privacy,
	), nil
}

// finite turns NaN, which SQLite stores as NULL and a NOT NULL column refuses, into 0: one bad
// latency must not make a batch fail forever.
func finite(f float64) float64 {
	if math.IsNaN(f) {
		return 0
	}
	return f
}

// money maps nil (unknown) and NaN to NULL.
func money(p *float64) any {
	if p == nil || math.IsNaN(*p) {
		return nil
	}
	return *p
}

// where builds the WHERE clause for f.
func where(f ledger.Filter) (string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds = append(conds, "time_us >= ?")
		args = append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		conds = append(conds, "time_us < ?")
		args = append(args, f.Until.UnixMicro())
	}
	if f.Model != "" {
		// "provider/model" or the provider's model id alone; model ids may hold slashes
		// themselves ("openrouter/meta-llama/llama-3"), provider names do not.
		if provider, model, ok := strings.Cut(f.Model, "/"); ok {
			conds = append(conds, "(model = ? OR (provider = ? AND model = ?))")
			args = append(args, f.Model, provider, model)
		} else {
			conds = append(conds, "model = ?")
			args = append(args, f.Model)
		}
	}
	for _, c := range []struct{ col, val string }{{"route", f.Route}, {"task", f.Task}, {"caller", f.Caller}} {
		if c.val != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Records returns the records that match f, newest first, at most f.Limit (0 = 1000).
func (s *Store) Records(ctx context.Context, f ledger.Filter) ([]ledger.Record, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = ledger.DefaultLimit
	}
	w, args := where(f)
	rows, err := s.r.QueryContext(ctx, "SELECT "+columns+" FROM requests"+w+" ORDER BY time_us DESC, id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("ledger records: %w", err)
	}
	defer rows.Close()
	var out []ledger.Record
	for rows.Next() {
		var (
			r                   ledger.Record
			us                  int64
			cost, cf, saved     sql.NullFloat64
			meta, decision      sql.NullString
			stream, tokensEstim bool
		)
		if err := rows.Scan(&r.ID, &us, &r.RequestID, &r.Caller, &r.Team, &r.Task, &r.Session,
			&r.User, &r.Ingress, &stream, &r.RequestedModel, &r.Route, &r.Provider, &r.Model,
			&r.InputTokens, &r.OutputTokens, &r.CachedInputTokens, &r.CacheWriteTokens,
			&r.ReasoningTokens, &tokensEstim, &r.LatencyMS, &r.TTFTMS, &r.Status, &r.ErrorCode,
			&r.Outcome, &cost, &cf, &saved, &r.ReferenceModel, &r.PriceTableDate, &r.Prompt,
			&meta, &r.Dropped, &r.RouteReason, &decision, &r.Privacy); err != nil {
			return nil, fmt.Errorf("ledger records: %w", err)
		}
		r.Time = time.UnixMicro(us).UTC()
		r.Stream, r.TokensEstimated = stream, tokensEstim
		r.CostUSD, r.CounterfactualUSD, r.SavedUSD = ptr(cost), ptr(cf), ptr(saved)
		if decision.Valid {
			r.Decision = json.RawMessage(decision.String)
		}
		if meta.Valid {
			if err := json.Unmarshal([]byte(meta.String), &r.Metadata); err != nil {
				return nil, fmt.Errorf("ledger records: record %d: metadata: %w", r.ID, err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger records: %w", err)
	}
	return out, nil
}

func ptr(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	return &f.Float64
}

// dimensionSQL returns the SQL expression of a report dimension (one CheckDimensions accepted).
func dimensionSQL(d string) string {
	switch d {
	case ledger.ByDay:
		return "date(time_us / 1000000, 'unixepoch')"
	case ledger.ByModel:
		return "CASE WHEN provider = '' THEN model ELSE provider || '/' || model END"
	}
	return d // route, task, provider and caller are columns of the same name
}

const aggregates = `count(*),
	coalesce(sum(outcome IN ('error', 'failed')), 0),
	coalesce(sum(outcome = 'cancelled'), 0),
	coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),
	coalesce(sum(cached_input_tokens), 0), coalesce(sum(reasoning_tokens), 0),
	total(cost_usd), total(counterfactual_usd), total(saved_usd),
	coalesce(sum(cost_usd IS NULL), 0),
	coalesce(sum(route = 'local'), 0),
	coalesce(avg(latency_ms), 0)`

// Summarize groups the records that match f by the dimensions in by, in SQL.
func (s *Store) Summarize(ctx context.Context, f ledger.Filter, by []string) ([]ledger.Summary, error) {
	if err := ledger.CheckDimensions(by); err != nil {
		return nil, fmt.Errorf("ledger summary: %w", err)
	}
	var q strings.Builder
	q.WriteString("SELECT ")
	for _, d := range by {
		q.WriteString(dimensionSQL(d))
		q.WriteString(", ")
	}
	q.WriteString(aggregates)
	q.WriteString(" FROM requests")
	w, args := where(f)
	q.WriteString(w)
	if len(by) > 0 {
		var cols []string
		for i := range by {
			cols = append(cols, strconv.Itoa(i+1))
		}
		q.WriteString(" GROUP BY " + strings.Join(cols, ", ") + " ORDER BY " + strings.Join(cols, ", "))
	}
	rows, err := s.r.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("ledger summary: %w", err)
	}
	defer rows.Close()
	var out []ledger.Summary
	keys := make([]sql.NullString, len(by))
	for rows.Next() {
		var sm ledger.Summary
		dest := make([]any, 0, len(by)+13)
		for i := range keys {
			dest = append(dest, &keys[i])
		}
		dest = append(dest, &sm.Requests, &sm.Errors, &sm.Cancelled, &sm.InputTokens,
			&sm.OutputTokens, &sm.CachedInputTokens, &sm.ReasoningTokens, &sm.CostUSD,
			&sm.CounterfactualUSD, &sm.SavedUSD, &sm.UnknownCost, &sm.LocalRequests,
			&sm.LatencyMeanMS)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("ledger summary: %w", err)
		}
		if sm.Requests == 0 {
			continue // the one row of an aggregate without GROUP BY over no records
		}
		sm.Key = make(map[string]string, len(by))
		for i, d := range by {
			sm.Key[d] = keys[i].String
		}
		out = append(out, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger summary: %w", err)
	}
	return out, nil
}

// openError is an Open failure: a message that names the file and the fix, a sentinel kind,
// and the driver's error.
type openError struct {
	msg  string
	kind error
	err  error
}

func (e *openError) Error() string   { return e.msg }
func (e *openError) Unwrap() []error { return []error{e.kind, e.err} }

// classify turns a driver error met while opening path into one that names the file and says
// what to do.
func classify(path string, err error) error {
	var oe *openError
	if errors.As(err, &oe) {
		return err
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("ledger database %s: %w", path, err)
	}
	const elsewhere = "or set SOVEREIGN_DATA to another directory"
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_NOTADB:
		return &openError{
			msg:  fmt.Sprintf("ledger database %s is not a valid SQLite database (file is not a database); move it aside %s", path, elsewhere),
			kind: ErrCorrupt, err: err,
		}
	case sqlite3.SQLITE_CORRUPT:
		return &openError{
			msg:  fmt.Sprintf("ledger database %s is damaged (database disk image is malformed); move it aside (a new ledger starts empty) %s", path, elsewhere),
			kind: ErrCorrupt, err: err,
		}
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return &openError{
			msg:  fmt.Sprintf("ledger database %s cannot be opened for writing (%s); make the file, its directory and its -wal and -shm files writable by this user, %s", path, reason(se), elsewhere),
			kind: ErrUnwritable, err: err,
		}
	case sqlite3.SQLITE_FULL:
		return &openError{
			msg:  fmt.Sprintf("ledger database %s cannot be written: the disk is full; free some space %s", path, elsewhere),
			kind: ErrUnwritable, err: err,
		}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return &openError{
			msg:  fmt.Sprintf("ledger database %s is locked by another process; stop the other gateway that uses it, %s", path, elsewhere),
			kind: ErrLocked, err: err,
		}
	}
	return fmt.Errorf("ledger database %s: %w", path, err)
}

// reason is the driver's message without its trailing "(code)".
func reason(se *sqlite.Error) string {
	msg := se.Error()
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:i]
	}
	return msg
}

// PutResponse stores a Responses API answer; a second one with the same id replaces it.
func (s *Store) PutResponse(ctx context.Context, r ledger.StoredResponse) error {
	_, err := s.w.ExecContext(ctx, `INSERT OR REPLACE INTO responses (id, created_us, request_id, model, items, body)
		VALUES (?,?,?,?,?,?)`, r.ID, r.Created.UnixMicro(), r.RequestID, r.Model, r.Items, r.Body)
	if err != nil {
		return fmt.Errorf("store response: %w", err)
	}
	return nil
}

// DeleteResponse removes the stored response with the id, or returns ledger.ErrNotFound.
func (s *Store) DeleteResponse(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM responses WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete stored response: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ledger.ErrNotFound
	}
	return nil
}

// GetResponse returns the stored response with the id, or ledger.ErrNotFound.
func (s *Store) GetResponse(ctx context.Context, id string) (ledger.StoredResponse, error) {
	r := ledger.StoredResponse{ID: id}
	var us int64
	err := s.r.QueryRowContext(ctx, `SELECT created_us, request_id, model, items, body FROM responses WHERE id = ?`, id).
		Scan(&us, &r.RequestID, &r.Model, &r.Items, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.StoredResponse{}, ledger.ErrNotFound
	}
	if err != nil {
		return ledger.StoredResponse{}, fmt.Errorf("stored response: %w", err)
	}
	r.Created = time.UnixMicro(us).UTC()
	return r, nil
}
