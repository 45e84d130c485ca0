package privacy

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
)

// The secret rules follow the token formats that gitleaks' default rule set
// (github.com/gitleaks/gitleaks, config/gitleaks.toml, MIT) and Yelp's detect-secrets plugins
// (Apache-2.0) document for each provider; the expressions here are written for this scanner:
// each is anchored at its keyword and runs only on a short window around a keyword hit.

// secretRule is one provider-specific token format. It runs only where one of its keywords
// occurs: on the text from back bytes before the keyword to fwd bytes after it (within the
// keyword's line unless multiline).
type secretRule struct {
	name     string
	keywords []string
	re       *regexp.Regexp
	group    int // capture group holding the secret; 0 is the whole match
	back     int
	fwd      int
	conf     float64
	entropy  float64 // minimum Shannon entropy of the secret; 0 for none
	// boundary requires that no letter, digit or underscore touch the secret on either side
	// (and no '-' after it), so that a token inside a longer word does not count.
	boundary bool
	// check, when set, validates a match and may rename it or change its confidence.
	check func(secret string) (name string, conf float64, ok bool)
	// find, when set, replaces re: a hand-written matcher given the text and the keyword's
	// span; it returns the secret's span.
	find func(text string, ks, ke int) (start, end int, ok bool)
}

// assignment keyword kinds.
const (
	kwStrong  = 1 // password, secret, token, api_key…: the identifier names a credential
	kwService = 2 // a provider's name (twilio, datadog…): credential if the value looks random
	kwWeak    = 3 // key, pass: only with a clearly random value
)

type secretScanner struct {
	kw      *keywordMatcher
	kwRules [][]int // keyword id -> rule indexes
	kwKind  []uint8 // keyword id -> assignment kind, 0 for none
	kwText  []string
	rules   []secretRule
}

func secretRules() *secretScanner {
	return buildSecretScanner(builtinSecretRules(), assignmentKeywords())
}

func buildSecretScanner(rules []secretRule, assign map[string]uint8) *secretScanner {
	s := &secretScanner{rules: rules}
	index := map[string]int{}
	add := func(k string) int {
		k = strings.ToLower(k)
		if i, ok := index[k]; ok {
			return i
		}
		index[k] = len(s.kwText)
		s.kwText = append(s.kwText, k)
		s.kwRules = append(s.kwRules, nil)
		s.kwKind = append(s.kwKind, 0)
		return index[k]
	}
	for ri, r := range rules {
		for _, k := range r.keywords {
			i := add(k)
			s.kwRules[i] = append(s.kwRules[i], ri)
		}
	}
	for k, kind := range assign {
		i := add(k)
		s.kwKind[i] = kind
	}
	s.kw = newKeywordMatcher(s.kwText)
	return s
}

// scan appends the secrets in text to out. dots runs the pass for formats found from their
// dots (Discord tokens), which the personal-data pass does otherwise.
func (s *secretScanner) scan(text string, out []Finding, dots bool) []Finding {
	lastIdent := -1 // start of the last identifier checked for an assignment
	// lastEnd[rule] is the end of the rule's last match: a hit inside it is skipped. Hits come
	// in order of their end, so one number per rule suffices.
	var lastEndBuf [128]int
	lastEnd := lastEndBuf[:0]
	if len(s.rules) <= len(lastEndBuf) {
		lastEnd = lastEndBuf[:len(s.rules)]
	} else {
		lastEnd = make([]int, len(s.rules))
	}
	if dots {
		out = findDiscordTokens(text, out)
	}
	s.kw.scan(text, func(kw, end int) {
		start := end - len(s.kwText[kw])
		for _, ri := range s.kwRules[kw] {
			if start < lastEnd[ri] {
				continue
			}
			r := &s.rules[ri]
			n := len(out)
			out = r.apply(text, start, end, out)
			for _, f := range out[n:] {
				lastEnd[ri] = max(lastEnd[ri], f.End)
			}
		}
		if kind := s.kwKind[kw]; kind != 0 {
			var f Finding
			var ok bool
			f, lastIdent, ok = assignment(text, start, end, kind, s.kwText[kw], lastIdent)
			if ok {
				out = append(out, f)
			}
		}
	})
	return out
}

// apply runs the rule on the window around the keyword at [ks, ke).
func (r *secretRule) apply(text string, ks, ke int, out []Finding) []Finding {
	if r.boundary && r.back == 0 && isWordByteBefore(text, ks) {
		return out
	}
	if r.find != nil {
		st, en, ok := r.find(text, ks, ke)
		if ok {
			out = append(out, Finding{CategorySecret, r.name, st, en, r.conf})
		}
		return out
	}
	ws := max(0, ks-r.back)
	we := min(len(text), ke+r.fwd)
	// Stay on the keyword's line: single-line formats only.
	if i := strings.LastIndexByte(text[ws:ks], '\n'); i >= 0 {
		ws += i + 1
	}
	if i := strings.IndexByte(text[ke:we], '\n'); i >= 0 {
		we = ke + i
	}
	win := text[ws:we]
	for _, m := range r.re.FindAllStringSubmatchIndex(win, -1) {
		a, b := m[2*r.group], m[2*r.group+1]
		if a < 0 || b <= a {
			continue
		}
		a, b = ws+a, ws+b
		if r.boundary {
			if isWordByteBefore(text, a) || isWordByteAt(text, b) || (b < len(text) && text[b] == '-') {
				continue
			}
		}
		secret := text[a:b]
		if r.entropy > 0 && shannon(secret) < r.entropy {
			continue
		}
		name, conf := r.name, r.conf
		if r.check != nil {
			var ok bool
			if name, conf, ok = r.check(secret); !ok {
				continue
			}
		}
		out = append(out, Finding{CategorySecret, name, a, b, conf})
	}
	return out
}

func builtinSecretRules() []secretRule {
	re := regexp.MustCompile
	word := func(name string, kws []string, expr string, conf, entropy float64) secretRule {
		return secretRule{name: name, keywords: kws, re: re(expr), fwd: 400, conf: conf, entropy: entropy, boundary: true}
	}
	rules := []secretRule{
		// AWS: access key ids; secret access keys are 40 base64 characters named in an
		// assignment (see assignment).
		{name: "aws-access-key-id", keywords: []string{"akia", "asia", "abia", "acca", "a3t"},
			re: re(`^(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}`), fwd: 20, conf: 0.95, boundary: true,
			check: func(s string) (string, float64, bool) {
				// AWS's documentation example keys end in EXAMPLE.
				return "aws-access-key-id", 0.95, !strings.HasSuffix(s, "EXAMPLE")
			}},
		{name: "aws-bedrock-api-key", keywords: []string{"absk"}, re: re(`^ABSK[A-Za-z0-9+/]{100,}={0,2}`), fwd: 400, conf: 0.95, boundary: true},
		// Google Cloud.
		word("gcp-api-key", []string{"aiza"}, `^AIza[\w-]{35}`, 0.95, 3),
		// Azure.
		{name: "azure-storage-account-key", keywords: []string{"accountkey="}, re: re(`(?i)accountkey=([A-Za-z0-9+/]{86}==)`), group: 1, fwd: 100, conf: 0.97},
		{name: "azure-shared-access-key", keywords: []string{"sharedaccesskey="}, re: re(`(?i)sharedaccesskey=([A-Za-z0-9+/]{42,44}=)`), group: 1, fwd: 60, conf: 0.95},
		{name: "azure-ad-client-secret", keywords: []string{"q~"}, re: re(`([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})`), group: 1, back: 6, fwd: 40, conf: 0.9, entropy: 3, boundary: true},
		// OpenAI, Anthropic and other sk- keys.
		{name: "openai-api-key", keywords: []string{"sk-"}, re: re(`^sk-[A-Za-z0-9_-]{20,}`), fwd: 300, conf: 0.9, boundary: true, check: classifySK},
		// GitHub.
		word("github-token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, `^gh[pousr]_[A-Za-z0-9]{36,251}`, 0.97, 3),
		word("github-fine-grained-pat", []string{"github_pat_"}, `^github_pat_[A-Za-z0-9_]{60,255}`, 0.98, 3),
		// GitLab.
		// Classic tokens are 20 to 50 characters (Devise.friendly_token; detect-secrets' bound);
		// routable ones are longer and end in a dot and a 9-character version and check part.
		word("gitlab-token", []string{"glpat-", "gldt-", "glffct-", "glft-", "glrt-", "glsoat-"},
			`^gl(?:pat|dt|ffct|ft|rt|soat)-(?:[\w-]{27,300}\.[0-9a-z]{9}|[\w-]{20,50})`, 0.95, 0),
		word("gitlab-token", []string{"glimt-"}, `^glimt-[\w-]{25}`, 0.95, 0),
		word("gitlab-token", []string{"glagent-"}, `^glagent-[\w-]{50,}`, 0.95, 0),
		word("gitlab-token", []string{"gloas-"}, `^gloas-[\w-]{64}`, 0.95, 0),
		word("gitlab-token", []string{"glptt-"}, `^glptt-[\w-]{40}`, 0.95, 0),
		// CI/CD job tokens, with or without a partition prefix (glcbt-64_…).
		word("gitlab-token", []string{"glcbt-"}, `^glcbt-(?:[0-9a-zA-Z]{1,5}_)?[\w-]{20,50}`, 0.95, 0),
		word("gitlab-runner-registration-token", []string{"gr1348941"}, `^GR1348941[\w-]{20,}`, 0.95, 0),
		{name: "gitlab-session-cookie", keywords: []string{"_gitlab_session="}, re: re(`_gitlab_session=([0-9a-z]{32})`), group: 1, fwd: 40, conf: 0.9},
		// Slack.
		word("slack-token", []string{"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxo-", "xoxe-"}, `^xox[baprseo]-[0-9A-Za-z-]{10,250}`, 0.95, 2),
		word("slack-config-token", []string{"xoxe."}, `^xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,200}`, 0.95, 2),
		word("slack-app-token", []string{"xapp-"}, `^(?i:xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)`, 0.95, 2),
		{name: "slack-webhook-url", keywords: []string{"hooks.slack.com"}, re: re(`(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,100}`), back: 8, fwd: 120, conf: 0.95},
		// Stripe (secret and restricted keys; publishable pk_ keys are public).
		word("stripe-secret-key", []string{"sk_test_", "sk_live_", "sk_prod_", "rk_test_", "rk_live_", "rk_prod_"}, `^[sr]k_(?:test|live|prod)_[A-Za-z0-9]{10,247}`, 0.95, 2),
		word("stripe-webhook-secret", []string{"whsec_"}, `^whsec_[A-Za-z0-9+/=]{24,}`, 0.95, 3),
		// Twilio API keys and account SIDs.
		// Hex in either case (gitleaks) or lowercase letters and digits (detect-secrets).
		word("twilio-api-key", []string{"sk", "ac"}, `^(?:SK|AC)(?:[0-9a-fA-F]{32}|[0-9a-z]{32})`, 0.85, 3),
		// SendGrid, Sendinblue, Mailgun, Mailchimp.
		word("sendgrid-api-key", []string{"sg."}, `^SG\.[\w-]{16,32}\.[\w-]{16,64}`, 0.95, 3),
		word("sendinblue-api-key", []string{"xkeysib-"}, `^xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}`, 0.95, 0),
		{name: "mailchimp-api-key", keywords: []string{"-us"}, re: re(`[0-9a-f]{32}-us\d{1,2}`), back: 32, fwd: 4, conf: 0.9, entropy: 3, boundary: true},
		// npm, PyPI, RubyGems, Clojars.
		word("npm-access-token", []string{"npm_"}, `^npm_[A-Za-z0-9]{36}`, 0.95, 2),
		{name: "npmrc-auth-token", keywords: []string{":_authtoken="}, re: re(`//[^\s/]+/[^\s]*:_authToken=\s?([^\s$'"{][^\s'"]*)`), group: 1, back: 200, fwd: 200, conf: 0.95},
		word("pypi-upload-token", []string{"pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"}, `^pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[\w-]{50,1000}`, 0.97, 0),
		word("rubygems-api-token", []string{"rubygems_"}, `^rubygems_[a-f0-9]{48}`, 0.95, 0),
		word("clojars-api-token", []string{"clojars_"}, `^(?i:CLOJARS_[a-z0-9]{60})`, 0.95, 0),
		// JSON Web Tokens, checked by decoding.
		{name: "jwt", keywords: []string{"eyj"}, re: re(`^eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]*)?`), fwd: 8000, conf: 0.95, boundary: true, check: checkJWT},
		// Private keys (PEM blocks, PGP, OpenSSH, PuTTY), plain or JSON-escaped.
		{name: "private-key", keywords: []string{"-----begin"}, find: findPrivateKey, conf: 0.99},
		// Passwords in URLs and connection strings.
		{name: "connection-string-password", keywords: []string{"://"}, find: findURLPassword, conf: 0.9},
		// Bearer tokens in Authorization headers.
		{name: "bearer-token", keywords: []string{"bearer "}, re: re(`(?i)bearer\s+([A-Za-z0-9\-._~+/]{16,}=*)`), group: 1, fwd: 600, conf: 0.85, entropy: 3},
		{name: "basic-auth-header", keywords: []string{"authorization: basic", "authorization:basic"}, re: re(`(?i)authorization:\s*basic\s+([A-Za-z0-9+/]{8,}={0,2})`), group: 1, fwd: 400, conf: 0.9},
		// Other providers with distinctive prefixes.
		word("1password-secret-key", []string{"a3-"}, `^A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}`, 0.95, 3),
		word("1password-service-account-token", []string{"ops_eyj"}, `^ops_eyJ[A-Za-z0-9+/]{250,}={0,3}`, 0.95, 3),
		word("adobe-client-secret", []string{"p8e-"}, `^p8e-[A-Za-z0-9]{32}`, 0.9, 2),
		word("age-secret-key", []string{"age-secret-key-1"}, `^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}`, 0.99, 0),
		word("alibaba-access-key-id", []string{"ltai"}, `^LTAI[A-Za-z0-9]{20}`, 0.9, 2),
		word("anthropic-api-key", []string{"sk-ant-"}, `^sk-ant-[A-Za-z0-9_-]{32,}`, 0.99, 3),
		word("artifactory-api-key", []string{"akcp"}, `^AKCp[A-Za-z0-9]{69}`, 0.9, 4),
		word("artifactory-reference-token", []string{"cmvmd"}, `^cmVmd[A-Za-z0-9]{59}`, 0.9, 4),
		word("atlassian-api-token", []string{"atatt3"}, `^ATATT3[A-Za-z0-9_\-=]{186}`, 0.95, 3),
		word("authress-access-key", []string{"sc_", "ext_", "scauth_", "authress_"}, `^(?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}\.[A-Za-z0-9+/_=-]{30,120}`, 0.9, 2),
		word("clickhouse-cloud-secret-key", []string{"4b1d"}, `^4b1d[A-Za-z0-9]{38}`, 0.9, 3),
		word("cloudflare-origin-ca-key", []string{"v1.0-"}, `^v1\.0-[a-f0-9]{24}-[a-f0-9]{146}`, 0.95, 2),
		word("databricks-api-token", []string{"dapi"}, `^dapi[a-f0-9]{32}(?:-\d)?`, 0.9, 3),
		word("digitalocean-token", []string{"doo_v1_", "dop_v1_", "dor_v1_"}, `^do[opr]_v1_[a-f0-9]{64}`, 0.95, 3),
		word("doppler-api-token", []string{"dp.pt."}, `^dp\.pt\.[A-Za-z0-9]{43}`, 0.95, 2),
		word("duffel-api-token", []string{"duffel_"}, `^duffel_(?:test|live)_[A-Za-z0-9_\-=]{43}`, 0.95, 2),
		word("dynatrace-api-token", []string{"dt0c01."}, `^dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}`, 0.95, 3),
		word("easypost-api-token", []string{"ezak", "eztk"}, `^EZ[AT]K[A-Za-z0-9]{54}`, 0.95, 2),
		word("facebook-page-access-token", []string{"eaam", "eaac"}, `^EAA[MC][A-Za-z0-9]{100,}`, 0.9, 4),
		word("flutterwave-key", []string{"flwseck_test", "flwpubk_test"}, `^FLW(?:SECK|PUBK)_TEST-[a-hA-H0-9]{12,32}(?:-X)?`, 0.9, 2),
		word("flyio-access-token", []string{"fo1_", "fm1", "fm2_"}, `^(?:fo1_[\w-]{43}|fm1[ar]_[A-Za-z0-9+/]{100,}={0,3}|fm2_[A-Za-z0-9+/]{100,}={0,3})`, 0.95, 4),
		word("frameio-api-token", []string{"fio-u-"}, `^fio-u-[A-Za-z0-9\-_=]{64}`, 0.95, 0),
		word("grafana-api-key", []string{"eyjrijoi"}, `^eyJrIjoi[A-Za-z0-9]{70,400}={0,3}`, 0.95, 3),
		word("grafana-cloud-api-token", []string{"glc_"}, `^glc_[A-Za-z0-9+/]{32,400}={0,3}`, 0.95, 3),
		word("grafana-service-account-token", []string{"glsa_"}, `^glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}`, 0.95, 3),
		word("harness-api-key", []string{"pat.", "sat."}, `^(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}`, 0.95, 0),
		{name: "hashicorp-tf-api-token", keywords: []string{".atlasv1."}, re: re(`[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9\-_=]{60,70}`), back: 14, fwd: 80, conf: 0.95, entropy: 3.5, boundary: true},
		word("heroku-api-key", []string{"hrku-aa"}, `^HRKU-AA[0-9a-zA-Z_-]{58}`, 0.95, 4),
		word("huggingface-token", []string{"hf_"}, `^hf_[A-Za-z]{34}`, 0.9, 2),
		word("huggingface-org-token", []string{"api_org_"}, `^api_org_[A-Za-z]{34}`, 0.9, 2),
		word("infracost-api-token", []string{"ico-"}, `^ico-[A-Za-z0-9]{32}`, 0.9, 3),
		word("intra42-client-secret", []string{"s-s4t2ud-", "s-s4t2af-"}, `^s-s4t2(?:ud|af)-[a-fA-F0-9]{64}`, 0.95, 3),
		word("linear-api-key", []string{"lin_api_"}, `^lin_api_[A-Za-z0-9]{40}`, 0.95, 2),
		{name: "maxmind-license-key", keywords: []string{"_mmk"}, re: re(`[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk`), back: 36, fwd: 4, conf: 0.95, entropy: 4, boundary: true},
		word("new-relic-key", []string{"nrak-", "nrii-", "nrjs-"}, `^(?:NRAK-[A-Za-z0-9]{27}|NRII-[A-Za-z0-9-]{32}|NRJS-[a-f0-9]{19})`, 0.9, 0),
		word("notion-api-token", []string{"ntn_"}, `^ntn_[0-9]{11}[A-Za-z0-9]{35}`, 0.95, 4),
		word("octopus-deploy-api-key", []string{"api-"}, `^API-[A-Z0-9]{26}`, 0.85, 3),
		word("openshift-user-token", []string{"sha256~"}, `^sha256~[\w-]{43}`, 0.95, 3.5),
		word("perplexity-api-key", []string{"pplx-"}, `^pplx-[A-Za-z0-9]{48}`, 0.95, 4),
		word("planetscale-token", []string{"pscale_tkn_", "pscale_oauth_", "pscale_pw_"}, `^pscale_(?:tkn|oauth|pw)_[\w=.-]{32,64}`, 0.95, 3),
		word("postman-api-token", []string{"pmak-"}, `^PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}`, 0.95, 3),
		word("prefect-api-token", []string{"pnu_"}, `^pnu_[A-Za-z0-9]{36}`, 0.95, 2),
		word("pulumi-api-token", []string{"pul-"}, `^pul-[a-f0-9]{40}`, 0.95, 2),
		word("readme-api-token", []string{"rdme_"}, `^rdme_[a-z0-9]{70}`, 0.95, 2),
		word("scalingo-api-token", []string{"tk-us-"}, `^tk-us-[\w-]{48}`, 0.95, 2),
		word("sentry-token", []string{"sntrys_eyjpyxqio", "sntryu_"}, `^(?:sntrys_eyJpYXQiO[A-Za-z0-9+/=_]{50,}|sntryu_[a-f0-9]{64})`, 0.95, 3.5),
		word("settlemint-token", []string{"sm_aat_", "sm_pat_", "sm_sat_"}, `^sm_(?:aat|pat|sat)_[A-Za-z0-9]{16}`, 0.9, 3),
		word("shippo-api-token", []string{"shippo_"}, `^shippo_(?:live|test)_[a-fA-F0-9]{40}`, 0.95, 2),
		word("shopify-token", []string{"shpat_", "shpca_", "shppa_", "shpss_"}, `^shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}`, 0.95, 2),
		word("square-access-token", []string{"eaaa", "sq0atp-", "sq0csp-"}, `^(?:EAAA[\w-]{22,60}|sq0atp-[\w-]{22,60}|sq0csp-[\w-]{43})`, 0.9, 3),
		word("telegram-bot-token", []string{":a"}, `[0-9]{5,16}:A[0-9A-Za-z_-]{34}`, 0.9, 3),
		word("vault-token", []string{"hvs.", "hvb."}, `^hv[sb]\.[\w-]{90,300}`, 0.95, 3.5),
	}
	// The telegram rule's keyword sits in the middle of the token.
	for i := range rules {
		switch rules[i].name {
		case "telegram-bot-token":
			rules[i].back = 11
		}
	}
	return rules
}

// classifySK names an sk- key: OpenAI (project, service-account, admin and legacy keys all
// carry the T3BlbkFJ marker, "OpenAI" in base64), Anthropic (sk-ant-, handled by its own
// rule), or another provider using the same prefix (DeepSeek, Moonshot…), which must look
// random. An sk-proj-, sk-svcacct- or sk-admin- string without the marker is not a key (a
// mangled or made-up one): gitleaks and detect-secrets require the marker too.
func classifySK(s string) (string, float64, bool) {
	switch {
	case strings.HasPrefix(s, "sk-ant-"):
		return "", 0, false
	case strings.Contains(s, "T3BlbkFJ"):
		return "openai-api-key", 0.99, true
	case strings.HasPrefix(s, "sk-proj-"), strings.HasPrefix(s, "sk-svcacct-"), strings.HasPrefix(s, "sk-admin-"):
		return "", 0, false
	}
	return "sk-api-key", 0.85, len(s) >= 35 && shannon(s) >= 3.5 && hasDigitAndLetter(s[3:])
}

func hasDigitAndLetter(s string) bool {
	var d, l bool
	for i := 0; i < len(s); i++ {
		d = d || isDigit(s[i])
		l = l || isLetter(s[i])
	}
	return d && l
}

// checkJWT accepts a token whose header decodes to a JSON object and whose payload decodes to
// something that starts like one.
func checkJWT(s string) (string, float64, bool) {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return "", 0, false
	}
	h, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[0], "="))
	if err != nil || !json.Valid(h) || len(h) == 0 || h[0] != '{' {
		return "", 0, false
	}
	p, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil && len(p) == 0 {
		return "", 0, false
	}
	if len(p) == 0 || p[0] != '{' {
		return "", 0, false
	}
	return "jwt", 0.95, true
}

// findDiscordTokens finds Discord bot tokens (detect-secrets' DiscordBotTokenDetector): the
// bot's user id in base64 (24 to 26 characters, starting with M, N or O), a dot, a 6-character
// timestamp, a dot and an HMAC of 27 characters or more. The format has no fixed keyword, so
// this is a pass over the text's dots (one IndexByte per dot). Scan skips it when the
// personal-data pass runs: that pass sees every word and calls discordToken for the few that
// qualify.
func findDiscordTokens(text string, out []Finding) []Finding {
	for i := 0; i < len(text); {
		k := strings.IndexByte(text[i:], '.')
		if k < 0 {
			break
		}
		d := i + k
		i = d + 1
		if d < 24 || d+8+27 > len(text) || text[d+7] != '.' {
			continue
		}
		s := d
		for s > 0 && d-s <= 26 && isTokenByte(text[s-1]) {
			s--
		}
		if e, ok := discordToken(text, s, d); ok {
			out = append(out, Finding{CategorySecret, "discord-bot-token", s, e, 0.9})
			i = e
		}
	}
	return out
}

// discordToken checks for a Discord bot token whose first part is [s, d), d being its first
// dot, and returns the token's end.
func discordToken(text string, s, d int) (int, bool) {
	if n := d - s; n < 24 || n > 26 || (text[s] != 'M' && text[s] != 'N' && text[s] != 'O') || isTokenByte(byteAt(text, s-1)) {
		return 0, false
	}
	if d+8+27 > len(text) || text[d+7] != '.' || !isTokenRun(text[d+1:d+7]) {
		return 0, false
	}
	e := d + 8
	for e < len(text) && e-d < 8+64 && isTokenByte(text[e]) {
		e++
	}
	if e-(d+8) < 27 || isTokenByte(byteAt(text, e)) {
		return 0, false
	}
	tok := text[s:e]
	if shannon(tok) < 4.5 || !hasDigitAndLetter(tok) || !hasUpperAndLower(tok) {
		return 0, false
	}
	return e, true
}

func isTokenByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

func isTokenRun(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

// byteAt returns text[i], or 0 outside the text.
func byteAt(text string, i int) byte {
	if i >= 0 && i < len(text) {
		return text[i]
	}
	return 0
}

func hasUpperAndLower(s string) bool {
	var u, l bool
	for i := 0; i < len(s); i++ {
		u = u || isUpper(s[i])
		l = l || isLower(s[i])
	}
	return u && l
}

// findPrivateKey finds a private key block that starts at the keyword "-----BEGIN": through its
// END line, or, when that is missing (a truncated paste), through the base64 body that
// follows.
func findPrivateKey(text string, ks, ke int) (int, int, bool) {
	// Header: -----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY( BLOCK)?-----
	i := ke
	lim := min(len(text), ke+120)
	for i < lim && (text[i] == ' ' || isUpper(text[i]) || isDigit(text[i]) || text[i] == '_' || text[i] == '-') {
		if strings.HasPrefix(text[i:], "PRIVATE KEY") {
			break
		}
		i++
	}
	if !strings.HasPrefix(text[i:], "PRIVATE KEY") {
		return 0, 0, false
	}
	i += len("PRIVATE KEY")
	i += len(prefixOf(text[i:], " BLOCK"))
	if !strings.HasPrefix(text[i:], "-----") {
		return 0, 0, false
	}
	i += 5
	const maxBlock = 16 << 10
	body := text[i:min(len(text), i+maxBlock)]
	if j := strings.Index(body, "-----END"); j >= 0 {
		end := i + j + len("-----END")
		if k := strings.Index(text[end:min(len(text), end+120)], "-----"); k >= 0 {
			end += k + 5
		}
		if end-i < 32 {
			return 0, 0, false
		}
		return ks, end, true
	}
	// No END line: take the body (base64, whitespace and escaped newlines).
	j := 0
	for j < len(body) {
		c := body[j]
		switch {
		case isAlnum(c) || c == '+' || c == '/' || c == '=' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ':' || c == '-' || c == ',':
			j++
		case c == '\\' && j+1 < len(body) && (body[j+1] == 'n' || body[j+1] == 'r'):
			j += 2
		default:
			goto done
		}
	}
done:
	if j < 32 {
		return 0, 0, false
	}
	return ks, i + j, true
}

func prefixOf(s, p string) string {
	if strings.HasPrefix(s, p) {
		return p
	}
	return ""
}

// findURLPassword finds the password in scheme://user:password@host. ke is just past "://".
func findURLPassword(text string, ks, ke int) (int, int, bool) {
	// Scheme: letters, digits, + . - before "://".
	ss := ks
	for ss > 0 && ks-ss < 24 && (isAlnum(text[ss-1]) || text[ss-1] == '+' || text[ss-1] == '.' || text[ss-1] == '-') {
		ss--
	}
	if ss == ks || !isLetter(text[ss]) {
		return 0, 0, false
	}
	// Userinfo: up to the last '@' before the host part ends.
	colon, at := -1, -1
	lim := min(len(text), ke+512)
	for i := ke; i < lim; i++ {
		c := text[i]
		if c == '/' || c == '?' || c == '#' || isSpace(c) || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>' {
			break
		}
		if c == ':' && colon < 0 && at < 0 {
			colon = i
		}
		if c == '@' {
			at = i
		}
	}
	if colon < 0 || at < 0 || at <= colon+1 {
		return 0, 0, false
	}
	pw := text[colon+1 : at]
	if isPlaceholder(pw) {
		return 0, 0, false
	}
	return colon + 1, at, true
}

// isPlaceholder reports values that stand for a secret rather than being one: templates
// (${VAR}, {{ var }}, <password>, %s), masks (****, xxxx) and the like.
func isPlaceholder(v string) bool {
	if v == "" {
		return true
	}
	switch v[0] {
	case '$', '<', '%', '{':
		return true
	}
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		return true
	}
	same := true
	for i := 1; i < len(v); i++ {
		if v[i] != v[0] {
			same = false
			break
		}
	}
	if same {
		return true
	}
	lv := strings.ToLower(v)
	for _, p := range placeholderWords {
		if strings.Contains(lv, p) {
			return true
		}
	}
	return false
}

var placeholderWords = []string{"****", "xxxx", "…", "...", "example", "fake", "dummy", "placeholder",
	"changeme", "change_me", "your_", "your-", "yourpass", "redacted", "insert", "process.env", "os.environ",
	"getenv", "env("}
