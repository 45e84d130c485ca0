package privacy

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"
)

// Generic credential assignments: `password = "…"`, `api_key: …`, `"AWS_TOKEN" => "…"`,
// `<token>…</token>`, `setProperty("X_TOKEN", "…")`, `if ("…" == secret)`. A keyword inside an
// identifier starts the check; the identifier, the operator and the value are then parsed by
// hand, and the value must pass entropy and placeholder tests (detect-secrets' KeywordDetector
// and gitleaks' generic-api-key rule take the same approach with regular expressions).

// strongWords name a credential wherever they appear in an identifier.
var strongWords = []string{"password", "passwd", "passwort", "pwd", "secret", "token", "api_key", "apikey",
	"api-key", "credential", "creds", "private_key", "privatekey", "private-key", "access_key", "accesskey",
	"auth_key", "authkey", "client_secret", "db_pass", "dbpass", "signing_key", "encryption_key", "master_key",
	"session_key", "app_key", "appkey", "consumer_key", "x-api-key", "auth", "contrase"}

// compoundStrongWords complete detect-secrets' KeywordDetector denylist. Each holds a weak
// keyword (key, pass), which finds it; they are no keywords of their own, to keep the automaton
// small (its table is walked for every byte).
var compoundStrongWords = func() [][]byte {
	var out [][]byte
	for _, w := range []string{"service_key", "servicekey", "application_key", "applicationkey", "account_key",
		"accountkey", "client_key", "clientkey", "db_key", "dbkey", "database_key", "databasekey", "priv_key",
		"privkey", "keypass", "passphrase", "passkey"} {
		out = append(out, []byte(w))
	}
	return out
}()

// hasCompoundStrong reports whether the identifier holds one of compoundStrongWords, in any
// case.
func hasCompoundStrong(ident string) bool {
	var buf [160]byte
	b := lowerKey(buf[:0], ident)
	for _, w := range compoundStrongWords {
		if bytes.Contains(b, w) {
			return true
		}
	}
	return false
}

// serviceWords are providers whose name in an identifier makes a random value a credential
// (after gitleaks' per-provider rules).
var serviceWords = []string{"adafruit", "adobe", "airtable", "algolia", "alibaba", "asana", "atlassian",
	"confluence", "jira", "beamer", "bitbucket", "bittrex", "meraki", "cloudflare", "codecov", "cohere",
	"coinbase", "confluent", "contentful", "datadog", "dnkey", "discord", "droneci", "dropbox", "etsy",
	"facebook", "fastly", "finicity", "finnhub", "flickr", "freshbooks", "gitter", "gocardless", "heroku",
	"hubspot", "intercom", "jfrog", "artifactory", "bintray", "kraken", "kucoin", "launchdarkly",
	"linkedin", "linked_in", "mailchimp", "mailgun", "mapbox", "mattermost", "messagebird", "message_bird",
	"netlify", "newrelic", "new_relic", "new-relic", "nytimes", "okta", "plaid", "privateai", "private_ai",
	"rapidapi", "sendbird", "sentry", "snyk", "sonar", "squarespace", "telegram", "travis", "twitch", "twitter",
	"typeform", "yandex", "zendesk", "looker", "contribsys", "aws", "azure", "gcp", "openai", "anthropic",
	"github", "gitlab", "slack", "stripe", "twilio", "sendgrid", "npm", "pypi", "huggingface", "mistral",
	"groq", "deepseek", "cohere", "replicate", "pinecone", "supabase", "firebase", "algolia", "shopify",
	"paypal", "braintree", "square", "vercel", "digitalocean", "linode", "vultr", "hashicorp", "vault",
	"docker", "dockerhub", "sumo", "linear", "lob", "cloudant", "softlayer", "ibm", "ngrok", "postmark",
	"pagerduty", "opsgenie", "segment", "mixpanel", "amplitude", "auth0", "clerk", "ldap", "smtp", "mongo",
	"postgres", "mysql", "redis", "rabbitmq", "amqp", "database", "jwt", "bearer", "oauth", "webhook"}

// weakWords need a clearly random value.
var weakWords = []string{"key", "pass", "pw", "access", "session", "cookie", "salt", "signature", "sig", "login"}

func assignmentKeywords() map[string]uint8 {
	m := map[string]uint8{}
	for _, w := range weakWords {
		m[w] = kwWeak
	}
	for _, w := range strongWords {
		m[w] = kwStrong
	}
	return m
}

// identDeny lists identifiers (lowercased substrings) that contain a keyword but do not name a
// credential.
var identDeny = []string{"keyboard", "keyword", "keystroke", "keypress", "keydown", "keyup", "keyframe",
	"keyspace", "key_id", "keyid", "key_name", "keyname", "key_size", "keysize", "key_length", "keylength",
	"key_type", "keytype", "key_path", "keypath", "key_file", "keyfile", "keystore", "keytab", "keyvault",
	"public_key", "publickey", "pubkey", "pub_key", "public-key", "primary_key", "primarykey", "foreign_key",
	"foreignkey", "sort_key", "sortkey", "partition_key", "cache_key", "cachekey", "idempotency", "token_url",
	"tokenurl", "token_endpoint", "token_uri", "tokenizer", "max_token", "maxtoken", "max-token", "num_token",
	"token_count", "tokencount", "token_type", "tokentype", "token_limit", "tokens", "input_token",
	"output_token", "token_usage", "author", "oauth_url", "auth_url", "authurl", "auth_uri", "auth_type",
	"authtype", "auth_method", "auth_mode", "authmode", "passport", "bypass", "compass", "passthrough",
	"pass_through", "password_length", "password_policy", "password_min", "password_max", "secret_name",
	"secretname", "secret_ref", "secretref", "secrets_manager", "secret_arn", "secret_id", "secretid",
	"passwordless", "csrf", "access_log", "accessor", "access_id", "accessid", "access_level", "access_type",
	"access_mode", "credentials_path", "credential_id", "credentialid", "credentials_file", "credential_file",
	"fake", "dummy", "example", "sample", "placeholder", "monkey", "turkey", "donkey", "hotkey", "passenger",
	"password_field", "password_label", "password_prompt", "password_input", "sessionid_cookie_name",
	"session_timeout", "session_name", "cookie_name", "cookie_domain", "cookie_path", "salt_rounds",
	"signature_method", "signature_version", "jwt_algorithm", "jwt_expir", "webhook_url", "webhookurl",
	"database_name", "database_url_env", "redis_host", "redis_port", "mongo_host", "ldap_host", "smtp_host",
	"smtp_port", "access_control", "accesscontrol", "access-control"}

func isIdentByte(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '.' || c >= utf8.RuneSelf // contraseña
}

// assignment checks the identifier around the keyword at [ks, ke). lastIdent is the start of
// the identifier checked last, returned updated, so that an identifier holding several
// keywords is checked once.
func assignment(text string, ks, ke int, kind uint8, kw string, lastIdent int) (Finding, int, bool) {
	is := ks
	for is > 0 && ks-is < 64 && isIdentByte(text[is-1]) {
		is--
	}
	ie := ke
	for ie < len(text) && ie-ke < 64 && isIdentByte(text[ie]) {
		ie++
	}
	// Trailing dots belong to sentences, not identifiers.
	for ie > ke && (text[ie-1] == '.' || text[ie-1] == '-') {
		ie--
	}
	if is == lastIdent {
		return Finding{}, lastIdent, false
	}
	// The keyword must start a component of the identifier (apiKey, api_key, x-api-key), not
	// sit inside a word (monkey, global); credential words may also end inside one (secrete),
	// and so may the weak words of a compound one (accountkey, passphrase).
	compound := false
	maybeCompound := kw == "key" || kw == "pass" // the weak words of compoundStrongWords
	if ks > is {
		p, c := text[ks-1], text[ks]
		boundary := !isLetter(p) || (isLower(p) && isUpper(c))
		if !boundary && kind != kwStrong {
			if compound = maybeCompound && hasCompoundStrong(text[is:ie]); !compound {
				return Finding{}, lastIdent, false
			}
		}
	}
	if kind == kwWeak && !compound && ke < ie && isLower(text[ke]) && !isUpper(text[ke-1]) {
		if compound = maybeCompound && hasCompoundStrong(text[is:ie]); !compound {
			return Finding{}, lastIdent, false
		}
	}
	lastIdent = is
	ident := strings.ToLower(text[is:ie])
	for _, d := range identDeny {
		if strings.Contains(ident, d) {
			return Finding{}, lastIdent, false
		}
	}
	strong := kind == kwStrong || compound
	// "pass" and "pw" as a whole component of the name (PASS, db_pw, smtpPass) name a password,
	// as in detect-secrets' denylist; inside a word (passenger) they were rejected above.
	passWord := (kw == "pass" || kw == "pw") && (ke == ie || !isLetter(text[ke]) || isUpper(text[ke]) && !isUpper(text[ke-1]))
	if !strong {
		for _, w := range strongWords {
			if strings.Contains(ident, w) {
				strong = true
				break
			}
		}
	}
	// A provider's name in the identifier (twilio_sid, DATADOG_APP) makes a random value a
	// credential even without a credential word; service words are not keywords of the
	// automaton, to keep it small, so they are looked for here.
	if !strong {
		for _, w := range serviceWords {
			if strings.Contains(ident, w) {
				kind, kw = kwService, w
				break
			}
		}
	}
	vs, ve, quoted, ok := assignedValue(text, is, ie)
	if !ok {
		vs, ve, ok = comparedValue(text, is)
		quoted = true
	}
	if !ok || ve <= vs {
		return Finding{}, lastIdent, false
	}
	v := text[vs:ve]
	if passWord && quoted {
		strong = true
	}
	conf, ok := judgeValue(v, quoted, strong, kind)
	if !ok {
		return Finding{}, lastIdent, false
	}
	return Finding{CategorySecret, assignmentRule(ident, kw, kind, v), vs, ve, conf}, lastIdent, true
}

func assignmentRule(ident, kw string, kind uint8, v string) string {
	switch {
	case strings.Contains(ident, "aws") && len(v) == 40:
		return "aws-secret-access-key"
	case strings.Contains(ident, "pass") || strings.Contains(ident, "pwd"):
		return "password-assignment"
	case kind == kwService:
		return kw + "-credential"
	}
	return "secret-assignment"
}

var assignOps = []string{":::=", "::=", ":=", "?=", ".=", "+=", "=>", "===", "!==", "==", "!=", "=", ":", ",", "("}

// assignedValue parses `ident <op> value` after the identifier [is, ie) and returns the value's
// span.
func assignedValue(text string, is, ie int) (int, int, bool, bool) {
	j := ie
	identQuoted := is > 0 && (text[is-1] == '"' || text[is-1] == '\'')
	xml := is > 0 && text[is-1] == '<'
	// Closing quotes and brackets of the key: "key": …, ENV['KEY'] = …, secret[] = …
	for k := 0; k < 8 && j < len(text); k++ {
		c := text[j]
		if c == '"' || c == '\'' || c == ']' || c == '[' || c == '`' || (c >= '0' && c <= '9' && j > ie && text[j-1] == '[') {
			j++
			continue
		}
		break
	}
	j = skipBlanks(text, j, false)
	if xml {
		if j < len(text) && text[j] == '>' {
			vs := skipBlanks(text, j+1, true)
			ve := vs
			for ve < len(text) && ve-vs < 512 && text[ve] != '<' && text[ve] != '\n' {
				ve++
			}
			for ve > vs && isSpace(text[ve-1]) {
				ve--
			}
			return vs, ve, false, ve > vs
		}
		return 0, 0, false, false
	}
	op := ""
	for _, o := range assignOps {
		if strings.HasPrefix(text[j:], o) {
			op = o
			break
		}
	}
	if op == "" {
		// A type between the name and the operator: var token string = "…"
		k := j
		for k < len(text) && k-j < 20 && isLetter(text[k]) {
			k++
		}
		if k > j && k < len(text) && text[k] == ' ' {
			k = skipBlanks(text, k, false)
			if strings.HasPrefix(text[k:], "=") && !strings.HasPrefix(text[k:], "==") {
				op, j = "=", k
			}
		}
	}
	switch op {
	case "":
		// Space-separated: password "value"
		if j > ie && j < len(text) && (text[j] == '"' || text[j] == '\'') {
			break
		}
		return 0, 0, false, false
	case ",":
		if !identQuoted {
			return 0, 0, false, false
		}
	case ":":
		if strings.HasPrefix(text[j:], "://") {
			return 0, 0, false, false
		}
	}
	j += len(op)
	j = skipBlanks(text, j, false)
	pre := literalPrefix(text[j:])
	j += len(pre)
	if j >= len(text) {
		return 0, 0, false, false
	}
	switch q := text[j]; q {
	case '"', '\'', '`':
		vs := j + 1
		ve := vs
		for ve < len(text) && ve-vs < 512 && text[ve] != q && text[ve] != '\n' {
			if text[ve] == '\\' && ve+1 < len(text) && text[ve+1] == q {
				ve++
			}
			ve++
		}
		if ve >= len(text) || text[ve] != q {
			return 0, 0, false, false
		}
		// C++ raw string R"(…)": the parentheses are delimiters.
		if pre == "R" && ve-vs >= 2 && text[vs] == '(' && text[ve-1] == ')' {
			vs, ve = vs+1, ve-1
		}
		return vs, ve, true, true
	}
	if op == "" || op == "(" || op == "," {
		return 0, 0, false, false
	}
	vs := j
	ve := vs
	for ve < len(text) && ve-vs < 512 {
		c := text[ve]
		if isSpace(c) || c == '"' || c == '\'' || c == '`' || c == ';' || c == '<' {
			break
		}
		if c == '\\' && ve+1 < len(text) && strings.IndexByte(`nrt"'\`, text[ve+1]) >= 0 {
			break
		}
		ve++
	}
	for ve > vs && (text[ve-1] == ',' || text[ve-1] == '.') {
		ve--
	}
	// `private_key = m{{h}…};`: an unquoted value that ends a statement is an expression in
	// C-like code, not a literal, unless it is shaped like a token (shell: PASS=Xk9f2Lq;).
	if ve < len(text) && text[ve] == ';' && !tokenShaped(text[vs:ve]) {
		return 0, 0, false, false
	}
	return vs, ve, false, ve > vs
}

// literalPrefix returns the prefix of a string literal that starts s, or "": C# and
// Objective-C @"…" and $"…", C and C++ L"…", u"…", U"…", u8"…", R"(…)", Python r'…', b'…',
// rb'…'. The prefix must touch its opening quote; '@' only goes with double quotes.
func literalPrefix(s string) string {
	n := 0
	for n < len(s) && n < 3 && (isLetter(s[n]) || isDigit(s[n]) || s[n] == '@' || s[n] == '$') {
		n++
	}
	if n == 0 || n >= len(s) || (s[n] != '"' && s[n] != '\'') {
		return ""
	}
	switch p := s[:n]; p {
	case "@", "$", "$@", "@$":
		if s[n] == '"' {
			return p
		}
	case "L", "u", "U", "u8", "R", "LR", "uR", "UR", "u8R",
		"r", "b", "rb", "br", "B", "Rb", "bR", "RB", "BR", "rB", "Br":
		return p
	}
	return ""
}

// tokenShaped reports whether v holds only characters of tokens and encodings: letters,
// digits and + / = _ - . ~
func tokenShaped(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(isAlnum(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// comparedValue parses `"value" == ident` before the identifier that starts at is.
func comparedValue(text string, is int) (int, int, bool) {
	j := is
	for j > 0 && (text[j-1] == ' ' || text[j-1] == '\t') {
		j--
	}
	for _, op := range []string{"===", "!==", "==", "!="} {
		if j >= len(op) && text[j-len(op):j] == op {
			j -= len(op)
			for j > 0 && (text[j-1] == ' ' || text[j-1] == '\t') {
				j--
			}
			if j == 0 {
				return 0, 0, false
			}
			q := text[j-1]
			if q != '"' && q != '\'' && q != '`' {
				return 0, 0, false
			}
			ve := j - 1
			vs := ve
			for vs > 0 && ve-vs < 512 && text[vs-1] != q && text[vs-1] != '\n' {
				vs--
			}
			if vs == 0 || text[vs-1] != q {
				return 0, 0, false
			}
			return vs, ve, true
		}
	}
	return 0, 0, false
}

func skipBlanks(text string, j int, newlines bool) int {
	for k := 0; j < len(text) && k < 64; k++ {
		c := text[j]
		if c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r')) {
			j++
			continue
		}
		break
	}
	return j
}

// judgeValue decides whether an assigned value is a credential and how sure that is.
func judgeValue(v string, quoted, strong bool, kind uint8) (float64, bool) {
	if len(v) > 512 || isPlaceholder(v) {
		return 0, false
	}
	if isSlug(v) {
		return 0, false // words and numbers joined by dashes: a name, a version, a dated feature flag
	}
	if !strong && kind != kwService && isUUID(v) {
		return 0, false // an identifier (a session or request id), unless a credential's name says otherwise
	}
	lv := strings.ToLower(v)
	switch lv {
	case "true", "false", "null", "none", "nil", "undefined", "yes", "no", "on", "off", "required", "optional",
		"string", "str", "bool", "int", "bytes", "object", "bearer", "basic", "password", "secret", "token":
		return 0, false
	}
	if strings.HasPrefix(lv, "http://") || strings.HasPrefix(lv, "https://") || v[0] == '/' ||
		strings.HasPrefix(v, "./") || strings.HasPrefix(v, "~/") || isFileName(lv) {
		return 0, false
	}
	var letters, digits, upper, lower, spaces, other int
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case isUpper(c):
			upper++
			letters++
		case isLower(c):
			lower++
			letters++
		case isDigit(c):
			digits++
		case c == ' ':
			spaces++
		default:
			other++
		}
	}
	if letters+digits == 0 {
		return 0, false
	}
	h := shannon(v)
	if !quoted && looksLikeCode(v) {
		return 0, false
	}
	if spaces > 0 && (!quoted || !strong) {
		return 0, false
	}
	if letters == 0 { // digits only (or with separators)
		if (strong || kind == kwService) && digits >= 14 && h >= 2.8 {
			return 0.5, true
		}
		return 0, false
	}
	// A lowercase word or phrase of an identifier's shape (real_key, notapassword).
	wordy := upper == 0 && digits == 0 && other <= strings.Count(v, "_")+strings.Count(v, "-")
	switch {
	case strong && quoted:
		if len(v) < 6 || h < 2.0 {
			return 0, false
		}
		if wordy && len(v) >= 16 && h < 3.3 {
			return 0, false
		}
		if spaces > 0 {
			return 0.6, true
		}
		return 0.8, true
	case strong:
		if len(v) < 8 || h < 3.0 || (wordy && h < 3.6) {
			return 0, false
		}
		return 0.75, true
	case kind == kwService:
		if len(v) < 12 || h < 3.0 || wordy || (digits == 0 && upper == 0) {
			return 0, false
		}
		return 0.7, true
	default: // weak
		if len(v) >= 16 && h >= 3.5 && !wordy && digits > 0 || quoted && highEntropyString(v) {
			return 0.6, true
		}
		return 0, false
	}
}

// highEntropyString applies detect-secrets' HighEntropyString limits to a quoted value: hex
// above 3.0 bits per character (12 characters at least, letters and digits), or base64 above
// 4.5 bits.
func highEntropyString(v string) bool {
	if len(v) < 12 {
		return false
	}
	hex, b64 := true, true
	for i := 0; i < len(v); i++ {
		c := v[i]
		hex = hex && isHex(c)
		b64 = b64 && (isAlnum(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-')
	}
	h := shannon(v)
	switch {
	case hex:
		return h > 3.0 && hasDigitAndLetter(v)
	case b64:
		return h > 4.5
	}
	return false
}

// fileExtensions end the names of files that hold keys or settings: client_key = "client.key"
// names the file, not the key.
var fileExtensions = []string{".pem", ".key", ".crt", ".cer", ".der", ".p12", ".pfx", ".jks", ".keystore",
	".json", ".txt", ".yaml", ".yml", ".env", ".pub", ".gpg", ".asc", ".ini", ".conf", ".cfg", ".toml", ".xml",
	".properties"}

// isFileName reports whether the lowercased value is a file name or relative path with one of
// fileExtensions.
func isFileName(lv string) bool {
	dot := strings.LastIndexByte(lv, '.')
	if dot <= 0 || !slices.Contains(fileExtensions, lv[dot:]) {
		return false
	}
	for i := 0; i < dot; i++ {
		c := lv[i]
		if !(isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

// looksLikeCode reports values that refer to something else rather than being a secret: a
// dotted name (config.api_key), a call (getToken()), an environment variable's name (API_KEY).
func looksLikeCode(v string) bool {
	if strings.HasSuffix(v, ")") && strings.Contains(v, "(") && isIdentStart(v[0]) {
		return identShape(v[:strings.IndexByte(v, '(')])
	}
	if strings.Contains(v, ".") && identShape(v) {
		// config.db.password is code; pk.eyJ1Ijoi… and other dotted tokens with many digits or
		// capitals inside their parts are not.
		var digits, inner int
		for i := 1; i < len(v); i++ {
			switch {
			case isDigit(v[i]):
				digits++
			case isUpper(v[i]) && v[i-1] != '.':
				inner++
			}
		}
		if digits > 2 || inner > 3 {
			return false
		}
		parts := strings.Split(v, ".")
		for _, p := range parts {
			if p == "" || !isIdentStart(p[0]) {
				return false
			}
		}
		return true
	}
	allCaps := true
	for i := 0; i < len(v); i++ {
		if !(isUpper(v[i]) || v[i] == '_' || isDigit(v[i])) {
			allCaps = false
			break
		}
	}
	return allCaps && strings.Contains(v, "_")
}

func isIdentStart(c byte) bool { return isLetter(c) || c == '_' || c == '$' }

func identShape(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(isAlnum(c) || c == '_' || c == '.' || c == '$') {
			return false
		}
	}
	return true
}

// isSlug reports whether v is lowercase words and numbers joined by '-' or '_', each word of
// three letters or more: "context-management-2025-06-27", "gpt-4o-mini-2024-07-18".
func isSlug(v string) bool {
	parts := 0
	for part := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == '-' || r == '_' }) {
		parts++
		letters, digits := 0, 0
		for i := 0; i < len(part); i++ {
			switch c := part[i]; {
			case isLower(c):
				letters++
			case isDigit(c):
				digits++
			default:
				return false
			}
		}
		if letters > 0 && (digits > 1 || (digits == 0 && letters < 3)) {
			return false // mixed letters and digits, or a fragment too short to be a word
		}
	}
	return parts >= 2 && !strings.Contains(v, "--") && v[0] != '-' && v[len(v)-1] != '-'
}

// isUUID reports whether v is a UUID in its canonical form (8-4-4-4-12 hex digits).
func isUUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
