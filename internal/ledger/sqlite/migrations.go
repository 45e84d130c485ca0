package sqlite

// migrations are the ledger's schema changes, applied in order, each once, inside Open's
// transaction; PRAGMA user_version holds how many a file has. Append only: never edit or
// reorder an entry that has shipped.
//
// Times are unix microseconds (UTC); money is REAL USD, NULL when unknown. The tables are
// STRICT, so a value of the wrong type fails the insert instead of being stored as text.
var migrations = []string{
	// 1: requests, one row per request answered or refused.
	`CREATE TABLE requests (
		id                  INTEGER PRIMARY KEY,
		time_us             INTEGER NOT NULL,
		request_id          TEXT    NOT NULL,
		caller              TEXT    NOT NULL,
		team                TEXT    NOT NULL,
		task                TEXT    NOT NULL,
		session             TEXT    NOT NULL,
		user                TEXT    NOT NULL,
		ingress             TEXT    NOT NULL,
		stream              INTEGER NOT NULL,
		requested_model     TEXT    NOT NULL,
		route               TEXT    NOT NULL,
		provider            TEXT    NOT NULL,
		model               TEXT    NOT NULL,
		input_tokens        INTEGER NOT NULL,
		output_tokens       INTEGER NOT NULL,
		cached_input_tokens INTEGER NOT NULL,
		cache_write_tokens  INTEGER NOT NULL,
		reasoning_tokens    INTEGER NOT NULL,
		tokens_estimated    INTEGER NOT NULL,
		latency_ms          REAL    NOT NULL,
		ttft_ms             REAL    NOT NULL,
		status              INTEGER NOT NULL,
		error_code          TEXT    NOT NULL,
		outcome             TEXT    NOT NULL,
		cost_usd            REAL,
		counterfactual_usd  REAL,
		saved_usd           REAL,
		reference_model     TEXT    NOT NULL,
		price_table_date    TEXT    NOT NULL,
		prompt              TEXT    NOT NULL,
		metadata            TEXT    -- JSON object, NULL when empty
	) STRICT;
	CREATE INDEX requests_time  ON requests (time_us);
	CREATE INDEX requests_model ON requests (model, time_us);
	CREATE INDEX requests_route ON requests (route, time_us);
	CREATE INDEX requests_task  ON requests (task, time_us);`,
	// 2: what the answering target left out (llm.Request.Dropped); stored Responses API
	// answers, so that a later request can continue one with previous_response_id.
	`ALTER TABLE requests ADD COLUMN dropped TEXT NOT NULL DEFAULT '';
	CREATE TABLE responses (
		id         TEXT    PRIMARY KEY,
		created_us INTEGER NOT NULL,
		request_id TEXT    NOT NULL,
		model      TEXT    NOT NULL,
		items      BLOB    NOT NULL, -- JSON array: the conversation's input items, then the output
		body       BLOB    NOT NULL  -- JSON: the response object as the client got it
	) STRICT;
	CREATE INDEX responses_created ON responses (created_us);`,
	// 3: why the request went where it went (the x-sovereign-route-reason header, and the
	// router's whole decision as JSON), and what the privacy guard found and did.
	`ALTER TABLE requests ADD COLUMN route_reason TEXT NOT NULL DEFAULT '';
	ALTER TABLE requests ADD COLUMN decision TEXT; -- JSON object, NULL when none
	ALTER TABLE requests ADD COLUMN privacy TEXT NOT NULL DEFAULT '';`,
}

// Schema returns the ledger's migrations in order, for benchmarks that must run the very same
// tables and indexes.
func Schema() []string { return append([]string(nil), migrations...) }
