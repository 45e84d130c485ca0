package privacy

import (
	"strings"
	"testing"
)

func newTestScanner(t testing.TB, opts Options) *Scanner {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type scanCase struct {
	name string
	text string
	cat  Category
	want string // the value that must be found; "" means nothing of cat may be found
}

func runScanCases(t *testing.T, s *Scanner, cases []scanCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range s.Scan(tc.text) {
				if f.Category == tc.cat {
					got = append(got, tc.text[f.Start:f.End])
				}
			}
			if tc.want == "" {
				if len(got) > 0 {
					t.Fatalf("found %s %q in %q, want none", tc.cat, got, tc.text)
				}
				return
			}
			for _, g := range got {
				if strings.Contains(g, tc.want) || strings.Contains(tc.want, g) {
					return
				}
			}
			t.Fatalf("%s %q not found in %q (found %q)", tc.cat, tc.want, tc.text, got)
		})
	}
}

func TestSecrets(t *testing.T) {
	s := newTestScanner(t, Options{Categories: []Category{CategorySecret}})
	// Test values are assembled at run time so that the source holds no token-shaped literal.
	rep := strings.Repeat
	rnd := pseudoRandom
	cases := []scanCase{
		{"aws key id", "aws_access_key_id = AKIA" + "QYLPMN5HHHFPZAM2", CategorySecret, "AKIAQYLPMN5HHHFPZAM2"},
		{"aws example key", "AKIA" + "IOSFODNN7EXAMPLE", CategorySecret, ""},
		{"aws lowercase", "akia" + "qylpmn5hhhfpzam2", CategorySecret, ""},
		{"aws secret", `aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"`, CategorySecret, ""}, // "example" is a placeholder
		{"aws secret real", `AWS_SECRET_ACCESS_KEY=` + "Zk3s9Qw8/Lp2Xc7Vb6Nm1Aq4Sd5Fg0Hj8Kl3Pz9R", CategorySecret, "Zk3s9Qw8/Lp2Xc7Vb6Nm1Aq4Sd5Fg0Hj8Kl3Pz9R"},
		{"gcp api key", "key=AIza" + "SyD9x2Lq7Vw0Rt5Yu8Io3Pa6Sd1Fg4Hj7Kl", CategorySecret, "AIzaSyD9x2Lq7Vw0Rt5Yu8Io3Pa6Sd1Fg4Hj7Kl"},
		{"openai project", "sk-proj-" + rnd(40, 11) + "T3BlbkFJ" + rnd(40, 12), CategorySecret, "sk-proj-"},
		// OpenAI keys carry the T3BlbkFJ marker; an sk-proj- string without it is made up
		// (gitleaks and detect-secrets agree).
		{"openai project without marker", "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5kL7nP9rS1tU3", CategorySecret, ""},
		{"openai legacy", "sk-" + "Xi8tcNiHV9awbCcvilTe" + "T3BlbkFJ" + "3UDnpdEwNNm6wVBpYM0o", CategorySecret, "T3BlbkFJ"},
		{"anthropic", "ANTHROPIC_API_KEY=sk-ant-" + "api03-" + rnd(93, 1) + "AA", CategorySecret, "sk-ant-api03"},
		{"risk- is no key", "the risk-" + "assessment-framework-for-the-team is ready", CategorySecret, ""},
		{"github pat", "token ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx", CategorySecret, "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"},
		{"github fine grained", "github_pat_" + "11ABCDEFG0" + rnd(72, 2), CategorySecret, "github_pat_"},
		{"gitlab", "glpat-" + "hellOworld380_testin", CategorySecret, "glpat-hellOworld380_testin"},
		{"gitlab with space", "glpat-hellOWorld380 testin", CategorySecret, ""},
		// Classic tokens are 20 to 50 characters; routable ones end in .xx and a check part.
		{"gitlab too long", "glsoat-" + rnd(51, 13), CategorySecret, ""},
		{"gitlab routable", "glpat-" + rnd(60, 14) + ".01" + "abc1234", CategorySecret, "glpat-"},
		{"gitlab ci job token", "glcbt-" + rnd(24, 15), CategorySecret, "glcbt-"},
		{"gitlab ci job token partition", "glcbt-64_" + rnd(20, 16), CategorySecret, "glcbt-64_"},
		{"gitlab ci job token short", "glcbt-" + rnd(12, 16), CategorySecret, ""},
		{"discord bot token", "M" + rnd(23, 17) + "." + rnd(6, 18) + "." + rnd(27, 19), CategorySecret, "." + rnd(6, 18) + "."},
		{"discord bot token in prose", "the bot uses N" + rnd(25, 20) + "." + rnd(6, 21) + "." + rnd(38, 22) + " now", CategorySecret, "." + rnd(6, 21) + "."},
		{"discord short hmac", "M" + rnd(23, 17) + "." + rnd(6, 18) + "." + rnd(26, 19), CategorySecret, ""},
		{"discord wrong start", "P" + rnd(23, 17) + "." + rnd(6, 18) + "." + rnd(27, 19), CategorySecret, ""},
		{"dotted words are no discord token", "Mmmmmmmmmmmmmmmmmmmmmmmmm.abcdef.ghijklmnopqrstuvwxyzabcdefgh", CategorySecret, ""},
		{"slack bot", "xoxb-" + "1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", CategorySecret, "xoxb-"},
		{"slack webhook", "https://hooks.slack.com/services/" + "T01ABCDEF/B01ABCDEF/abcdefghijklmnopqrstuvwx", CategorySecret, "hooks.slack.com"},
		{"stripe", "sk_live_" + "ReTllpYQYfIZu2Jnf2lAPFjD", CategorySecret, "sk_live_"},
		{"stripe publishable", "pk_live_" + "j5krY8XTgIcDaHDb3YrsAfCl", CategorySecret, ""},
		{"twilio", "SK" + "2f9a6b4c8d1e3f5a7b9c0d2e4f6a8b1c", CategorySecret, "SK2f9a"},
		{"twilio lowercase alnum", "AC" + strings.ToLower(rnd(32, 23)), CategorySecret, "AC"},
		{"twilio placeholder", "AC" + rep("x", 32), CategorySecret, ""},
		{"sendgrid", "SG." + "ngeVfQFYQlKU0ufo8x5d1A.TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr", CategorySecret, "SG.nge"},
		{"npm", "//registry.npmjs.org/:_authToken=" + "743b294a-cd03-11ec-9d64-0242ac120002", CategorySecret, "743b294a"},
		{"npm template", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}", CategorySecret, ""},
		{"jwt", "Authorization: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQ", CategorySecret, "eyJhbGci"},
		{"jwt bad header", "eyJhbasdGciOiJIUaddasdasfsasdasdzI1NiIasdsInR5cCI6IkpXVCasdJasd9." + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSM", CategorySecret, ""},
		{"pem", "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + rep("q83vEjRWeJA", 8) + "\n-----END RSA PRIVATE KEY-----", CategorySecret, "-----BEGIN RSA"},
		{"pem json escaped", `{"private_key": "-----BEGIN ` + `PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC` + rep("AbCd", 20) + `\n-----END PRIVATE KEY-----\n"}`, CategorySecret, "-----BEGIN PRIVATE"},
		{"postgres url", "DATABASE_URL=postgres://app:" + "s3cr3tPa55@db.internal:5432/app", CategorySecret, "s3cr3tPa55"},
		{"mongodb srv", "mongodb+srv://admin:" + "Hunter2xyz@cluster0.mongodb.net/test", CategorySecret, "Hunter2xyz"},
		{"url without password", "see https://example.com:8080/path for details", CategorySecret, ""},
		{"url template password", "redis://:${REDIS_PASSWORD}@cache:6379", CategorySecret, ""},
		{"password assignment", `password = "` + "tr0ub4dor&3horse" + `"`, CategorySecret, "tr0ub4dor&3horse"},
		{"password env", `DB_PASSWORD=` + "Xk9#mQ2$vL7pW4" + "\n", CategorySecret, "Xk9#mQ2$vL7pW4"},
		{"password fake", `password = "somefakekey"`, CategorySecret, ""},
		{"password template", `password: ${DB_PASSWORD}`, CategorySecret, ""},
		{"password empty", `api_key = ""`, CategorySecret, ""},
		{"password code ref", `password = config.db.password`, CategorySecret, ""},
		{"api key yaml", "api_key: " + "9f8e7d6c5b4a39281706f5e4d3c2b1a0", CategorySecret, "9f8e7d6c"},
		{"xml token", "<apiToken>\n    " + "Qm9vbGVhbkNvbnN0YW50MTIzNDU2Nzg5" + "\n</apiToken>", CategorySecret, "Qm9vbGVh"},
		{"set property", `System.setProperty("GITHUB_TOKEN", "` + "k8Jd92LmQp3xZr7Tn4Vb" + `")`, CategorySecret, "k8Jd92"},
		{"comparison", `if ("` + "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}" + `" == password) {`, CategorySecret, "m{{h}o)p"},
		{"max tokens is no secret", "max_tokens = 4096", CategorySecret, ""},
		{"keyboard", `keyboard = "qwertyuiopasdfgh"`, CategorySecret, ""},
		{"prose", "The password policy requires twelve characters; the token expires after an hour.", CategorySecret, ""},
		{"bearer", "curl -H 'Authorization: Bearer " + "abc123XYZ789def456GHI012jkl'", CategorySecret, "abc123XYZ"},
		// String literal prefixes of C, C++, C# and Python.
		{"c++ wide string", `api_key = L"` + "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}" + `";`, CategorySecret, "m{{h}o)p"},
		{"c++ raw string", `password = R"(` + "Xk9#mQ2$vL7pW4zz" + `)";`, CategorySecret, "Xk9#mQ2$vL7pW4zz"},
		{"python bytes", `secret = b"` + "k8Jd92LmQp3xZr7T" + `"`, CategorySecret, "k8Jd92LmQp3xZr7T"},
		{"at with single quote is no literal", `aws_secret_access_key = @'` + "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}" + `';`, CategorySecret, ""},
		// An unquoted value that ends a C statement is an expression unless token-shaped.
		{"c expression", `private_key = ` + "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}" + `;`, CategorySecret, ""},
		{"shell statement", `PASSWORD=` + "Xk9fJ2mQ8pLz4vB7" + `; ./run`, CategorySecret, "Xk9fJ2mQ8pLz4vB7"},
		// detect-secrets' denylist words.
		{"keypass", `keypass = "` + "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}" + `"`, CategorySecret, "m{{h}o)p"},
		{"accountkey", `accountkey: "` + "tr0ub4dor&3horse" + `"`, CategorySecret, "tr0ub4dor&3horse"},
		{"passphrase", `passphrase = "` + "correct-h0rse-Battery" + `"`, CategorySecret, "correct-h0rse"},
		{"contrasena", `contraseña = "` + "tr0ub4dor&3horse" + `"`, CategorySecret, "tr0ub4dor&3horse"},
		{"monkey is no key", `monkey = "` + "tr0ub4dor&3horse" + `"`, CategorySecret, ""},
		{"pass component", `db_pass: '` + "A,.:-¨@*¿?!" + `'`, CategorySecret, "A,.:-"},
		{"pass alone", `pass = "` + "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}" + `"`, CategorySecret, "m{{h}o)p"},
		{"passenger is no pass", `passenger = "` + "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}" + `"`, CategorySecret, ""},
		{"key file name", `client_key = "client.key"`, CategorySecret, ""},
		{"client key", `client_key = "` + "Zk3s9Qw8Lp2Xc7Vb" + `"`, CategorySecret, "Zk3s9Qw8Lp2Xc7Vb"},
		// Weak names with a quoted value: detect-secrets' high-entropy limits (hex above 3.0).
		{"session hex", `session = "a3f9c2e81b7d"`, CategorySecret, "a3f9c2e81b7d"},
		{"session repeated", `session = "abcabcabcabc"`, CategorySecret, ""},
		// Identifiers and names, as coding agents send them in metadata and beta headers.
		{"session uuid", `{"session_id":"01a213fc-6807-7da1-81ac-9f21d75db885"}`, CategorySecret, ""},
		{"api key uuid", `heroku_api_key = "01a213fc-6807-7da1-81ac-9f21d75db885"`, CategorySecret, "01a213fc-6807"},
		{"dated flags", `["thinking-token-count-2026-05-13","context-management-2025-06-27"]`, CategorySecret, ""},
		{"token slug", `token = "gpt-4o-mini-2024-07-18"`, CategorySecret, ""},
		{"token with dashes", `token = "` + "Zk3s9-Qw8Lp-2Xc7V" + `"`, CategorySecret, "Zk3s9-Qw8Lp-2Xc7V"},
	}
	runScanCases(t, s, cases)
}

// pseudoRandom returns n characters of [A-Za-z0-9] from a fixed sequence.
func pseudoRandom(n int, seed uint32) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	x := seed*2654435761 + 12345
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = alphabet[(x>>16)%uint32(len(alphabet))]
	}
	return string(b)
}

func TestPersonalData(t *testing.T) {
	s := newTestScanner(t, Options{})
	cases := []scanCase{
		{"email", "write to ada.lovelace+notes@example.co.uk today", CategoryEmail, "ada.lovelace+notes@example.co.uk"},
		{"not email", "the @ sign and user@localhost", CategoryEmail, ""},
		{"phone e164", "call +44 20 7946 0958 now", CategoryPhone, "+44 20 7946 0958"},
		{"phone nanp", "(555) 555-5555", CategoryPhone, "(555) 555-5555"},
		{"phone nanp dashes", "reach me at 415-555-0132x12", CategoryPhone, "415-555-0132x12"},
		{"phone german", "Telefon: 030 12345678", CategoryPhone, "030 12345678"},
		{"phone french", "mon numéro: 01 42 68 53 00", CategoryPhone, "01 42 68 53 00"},
		{"phone french dotted", "appelez le 06.12.34.56.78", CategoryPhone, "06.12.34.56.78"},
		{"version is no phone", "upgrade to 10.12.34.56.78", CategoryPhone, ""},
		{"phone trunk in parentheses", "Ruf an: +49 (0)30 123456", CategoryPhone, "+49 (0)30 123456"},
		{"phone area code touching", "(555)123-4567", CategoryPhone, "(555)123-4567"},
		{"phone international dotted", "+1.555.123.4567", CategoryPhone, "+1.555.123.4567"},
		{"phone 00 prefix", "0044 20 7946 0958", CategoryPhone, "0044 20 7946 0958"},
		{"phone nanp spaced with country code", "1 415 555 0132", CategoryPhone, "1 415 555 0132"},
		{"phone number word", "my number is 512448390", CategoryPhone, "512448390"},
		{"licence number is no phone", "My driver's license number is 512448390", CategoryPhone, ""},
		{"digits are no phone", "we shipped 1200 400 units", CategoryPhone, ""},
		{"date is no phone", "on 2024-03-15 the meeting", CategoryPhone, ""},
		{"card visa", "card 4111 1111 1111 1111 exp 12/29", CategoryPaymentCard, "4111 1111 1111 1111"},
		{"card amex", "3782-822463-10005", CategoryPaymentCard, "3782-822463-10005"},
		{"card bad luhn", "4111 1111 1111 1112", CategoryPaymentCard, ""},
		{"card unknown issuer", "9111111111111111", CategoryPaymentCard, ""}, // Luhn-valid, no network
		{"iban", "IBAN GB82WEST12345698765432", CategoryIBAN, "GB82WEST12345698765432"},
		{"iban spaced", "DE89 3704 0044 0532 0130 00", CategoryIBAN, "DE89 3704 0044 0532 0130 00"},
		{"iban bad check", "GB82WEST12345698765433", CategoryIBAN, ""},
		{"iban bad length", "GB82WEST1234569876543", CategoryIBAN, ""},
		{"ssn", "SSN 536-32-3065", CategoryNationalID, "536-32-3065"},
		{"ssn area 000", "000-12-3456", CategoryNationalID, ""},
		{"ssn area 666", "666-12-3456", CategoryNationalID, ""},
		{"ssn group 00", "536-00-3065", CategoryNationalID, ""},
		{"nino", "NI number QQ123456C", CategoryNationalID, ""}, // QQ is not a valid prefix
		{"nino valid", "NI number AB123456C", CategoryNationalID, "AB123456C"},
		{"nino spaced", "AB 12 34 56 C", CategoryNationalID, "AB 12 34 56 C"},
		{"nino grouped", "nino: AB 123456 C", CategoryNationalID, "AB 123456 C"},
		{"nino grouped letter joined", "AB 123456C", CategoryNationalID, "AB 123456C"},
		{"nino grouped bad suffix", "AB 123456 E", CategoryNationalID, ""},
		{"sin hyphens", "123-456-782", CategoryNationalID, "123-456-782"},
		{"sin hyphens bad luhn", "123-456-783", CategoryNationalID, ""},
		{"sin hyphens with phone word", "call 123-456-782", CategoryNationalID, ""},
		{"nif seven digits", "1111111-G", CategoryNationalID, "1111111-G"},
		{"nif seven digits bad letter", "1111111-A", CategoryNationalID, ""},
		{"nif", "DNI 12345678Z", CategoryNationalID, "12345678Z"},
		{"nif bad letter", "DNI 12345678A", CategoryNationalID, ""},
		{"nie", "NIE X1234567L", CategoryNationalID, "X1234567L"},
		{"italian fiscal code", "CF RSSMRA85T10A562S", CategoryNationalID, "RSSMRA85T10A562S"},
		{"italian fiscal code bad", "CF RSSMRA85T10A562T", CategoryNationalID, ""},
		{"ipv4", "server at 203.0.113.7 is down", CategoryIPAddress, "203.0.113.7"},
		{"ipv4 invalid", "256.256.256.256", CategoryIPAddress, ""},
		{"ipv4 leading zero", "1.2.3.04", CategoryIPAddress, ""},
		{"ipv6", "addr 2001:db8:85a3::8a2e:370:7334 ok", CategoryIPAddress, "2001:db8:85a3::8a2e:370:7334"},
		{"ipv6 full", "fe80:0:0:0:202:b3ff:fe1e:8329", CategoryIPAddress, "fe80:0:0:0:202:b3ff:fe1e:8329"},
		{"time is no ipv6", "at 10:30:00", CategoryIPAddress, ""},
		{"person", "Please forward this to Maria Gonzalez by Friday.", CategoryPerson, "Maria Gonzalez"},
		{"person title", "Dr. Okonkwo will see you", CategoryPerson, "Okonkwo"},
		{"person cue", "My name is Siobhan", CategoryPerson, "Siobhan"},
		{"person surname suffix", "we met Dragan Petrović yesterday", CategoryPerson, "Petrović"},
		// With the personal-data pass on, Discord tokens are found from its words (see
		// TestSecrets for the pass over dots).
		{"discord bot token", "O" + pseudoRandom(24, 17) + "." + pseudoRandom(6, 18) + "." + pseudoRandom(27, 19), CategorySecret, "." + pseudoRandom(6, 18) + "."},
		{"discord short hmac", "O" + pseudoRandom(24, 17) + "." + pseudoRandom(6, 18) + "." + pseudoRandom(26, 19), CategorySecret, ""},
		{"person before as", "I want to add David Simpson as a beneficiary", CategoryPerson, "David Simpson"},
		{"company form", "The firm Hansen AS won the bid.", CategoryPerson, ""},
		{"person md", "Follow up with Ryan Bagy MD in 2 months.", CategoryPerson, "Ryan Bagy"},
		{"state code is no person", "Our office is in Baltimore, MD 21201.", CategoryPerson, ""},
		{"double-barrelled firm", "We will meet Becker-Shaffer tomorrow.", CategoryPerson, ""},
		{"double-barrelled given name", "We will meet Anne-Lise tomorrow.", CategoryPerson, "Anne-Lise"},
		{"double-barrelled with title", "Please ask Ms. Garcia-Smith about it.", CategoryPerson, "Garcia-Smith"},
		{"origin is no person", "He is from Solar Census", CategoryPerson, ""},
		{"sender is a person", "I got a letter from Maria Garcia yesterday.", CategoryPerson, "Maria Garcia"},
		{"lone common word after from", "She arrived this morning from Kenya.", CategoryPerson, ""},
		{"named him", "She named him Mark", CategoryPerson, "Mark"},
		{"country of two words", "In Saudi Arabia they sing.", CategoryPerson, ""},
		{"place with connector", "We moved to Horka nad Moravou.", CategoryPerson, ""},
		{"place article", "We flew to San Sebastián last week.", CategoryPerson, ""},
		{"us state", "Songwriters travel to Texas to share music.", CategoryPerson, ""},
		{"common words are no name", "the economy of the White Stripes' home city", CategoryPerson, ""},
		{"no person in prose", "The Project will Grant access in May.", CategoryPerson, ""},
		{"country is no person", "She moved here from Austria.", CategoryPerson, ""},
		{"address us", "ship it to 1600 Pennsylvania Avenue, please", CategoryAddress, "1600 Pennsylvania Avenue"},
		{"address eu", "Ich wohne in der Hauptstrasse 12.", CategoryAddress, "Hauptstrasse 12"},
		{"address unit", "Apt. 441", CategoryAddress, "Apt. 441"},
		{"uk postcode", "London SW1A 1AA", CategoryAddress, "SW1A 1AA"},
		{"uk postcode bad area letter", "VA1 1AA", CategoryAddress, ""},
		{"uk postcode bad inward letter", "M1 1CA", CategoryAddress, ""},
		{"zip cue", "My zip code is 35649", CategoryAddress, "35649"},
		{"zip is no cue alone", "The zip holds 12000 files.", CategoryAddress, ""},
		{"military psc", "send it to PSC 1234, Box 5678\nAPO AE 09012 please", CategoryAddress, "PSC 1234, Box 5678\nAPO AE 09012"},
		{"military ship", "USNS Comfort\nFPO AP 96349", CategoryAddress, "USNS Comfort\nFPO AP 96349"},
		{"military without zip", "the APO AE office", CategoryAddress, ""},
		{"street word first lower case", "57 avenue Jules Ferry", CategoryAddress, "57 avenue Jules Ferry"},
		{"street word first lower case italian", "abito in via Verbano 62", CategoryAddress, ""}, // "via" is English too
		{"lower-case street word is no street", "the best way Microsoft 365 works", CategoryAddress, ""},
		{"via in english", "connect via SSH 22 first", CategoryAddress, ""},
		{"street word first abbreviated", "54 ul. Posejdona 90", CategoryAddress, "54 ul. Posejdona 90"},
		{"street word first capitalized", "09 Avenue des Sartiaux 318", CategoryAddress, "09 Avenue des Sartiaux 318"},
		{"street word after lower case", "Pedestrians must enter on Erzsébet tér 92.", CategoryAddress, "Erzsébet tér 92"},
		{"pre word after the name", "60 Gosposka ulica 47", CategoryAddress, "60 Gosposka ulica 47"},
		{"nordic suffix", "31 Vesturgata 66", CategoryAddress, "31 Vesturgata 66"},
		{"abbreviated strasse", "45 Chausseestr. 32", CategoryAddress, "Chausseestr. 32"},
		{"lower-case suffix between numbers", "his address: 17 rijksweg 145", CategoryAddress, "17 rijksweg 145"},
		{"lower-case ring word is no street", "In 2020 offering 5 seats was enough.", CategoryAddress, ""},
		{"building number before", "77 3658 Sunburst Drive", CategoryAddress, "77 3658 Sunburst Drive"},
		{"ordinal street", "Ship it to 2914 184th Street please", CategoryAddress, "2914 184th Street"},
		{"number before po box", "98 P.O. Box 101", CategoryAddress, "98 P.O. Box 101"},
		{"dob", "date of birth: 14/02/1987", CategoryDateOfBirth, "14/02/1987"},
		{"dob words", "She was born on March 3, 1990 in Lyon", CategoryDateOfBirth, "March 3, 1990"},
		{"date without cue", "the release on 14/02/1987 was late", CategoryDateOfBirth, ""},
	}
	runScanCases(t, s, cases)
}

func TestCustom(t *testing.T) {
	s := newTestScanner(t, Options{
		Categories:   []Category{CategoryEmail},
		Custom:       []Pattern{{Name: "contract", Regexp: `CTR-\d{6}`}},
		Dictionaries: []Dictionary{{Name: "clients", Words: []string{"Acme Corp", "Bluefin"}}},
	})
	got := s.Scan("Bluefin and ACME CORP signed CTR-123456; bluefins are fish.")
	var names []string
	for _, f := range got {
		names = append(names, string(f.Category)+":"+f.Rule)
	}
	want := "custom:clients custom:clients custom:contract"
	if strings.Join(names, " ") != want {
		t.Fatalf("got %v, want %s", names, want)
	}
	if _, err := New(Options{Custom: []Pattern{{Name: "bad", Regexp: "("}}}); err == nil {
		t.Error("invalid pattern accepted")
	}
	if _, err := New(Options{Categories: []Category{"nope"}}); err == nil {
		t.Error("unknown category accepted")
	}
}

func TestResolveOverlaps(t *testing.T) {
	fs := resolve([]Finding{
		{Category: CategoryPerson, Start: 0, End: 10, Confidence: 0.5},
		{Category: CategorySecret, Start: 5, End: 20, Confidence: 0.9},
		{Category: CategoryEmail, Start: 18, End: 30, Confidence: 0.9},
		{Category: CategoryEmail, Start: 25, End: 35, Confidence: 0.9},
	})
	want := []Finding{
		{Category: CategoryPerson, Start: 0, End: 5, Confidence: 0.5},
		{Category: CategorySecret, Start: 5, End: 20, Confidence: 0.9},
		{Category: CategoryEmail, Start: 20, End: 35, Confidence: 0.9},
	}
	if len(fs) != len(want) {
		t.Fatalf("got %+v", fs)
	}
	for i := range want {
		if fs[i].Category != want[i].Category || fs[i].Start != want[i].Start || fs[i].End != want[i].End {
			t.Fatalf("got %+v, want %+v", fs, want)
		}
	}
}

// TestAddressSpans checks whole address spans where runScanCases would accept a part: the
// building number before a street and the unit line before a military postcode.
func TestAddressSpans(t *testing.T) {
	s := newTestScanner(t, Options{})
	for _, tc := range []struct{ text, want string }{
		{"77 3658 Sunburst Drive", "77 3658 Sunburst Drive"},
		{"address: 42 Vesturgata 66", "42 Vesturgata 66"},
		{"98 P.O. Box 101", "98 P.O. Box 101"},
		{"send it to PSC 1234, Box 5678\nAPO AE 09012 please", "PSC 1234, Box 5678\nAPO AE 09012"},
		{"Unit 2050 Box 4190\nDPO AP 96522-1234", "Unit 2050 Box 4190\nDPO AP 96522-1234"},
		{"in 2019 42 Main Street", "42 Main Street"}, // a number inside a sentence is no building number
	} {
		var got []string
		for _, f := range s.Scan(tc.text) {
			if f.Category == CategoryAddress {
				got = append(got, tc.text[f.Start:f.End])
			}
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%q: addresses %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestCategoryIndex(t *testing.T) {
	for i, c := range Categories() {
		if got := categoryIndex(c); got != i {
			t.Errorf("categoryIndex(%s) = %d, want %d", c, got, i)
		}
	}
	if categoryIndex("nope") != -1 {
		t.Error("unknown category has an index")
	}
}

func TestRuneOffsets(t *testing.T) {
	text := "héllo wörld"
	got := RuneOffsets(text, 0, 1, 3, len(text))
	if got[0] != 0 || got[1] != 1 || got[2] != 2 || got[3] != 11 {
		t.Fatalf("got %v", got)
	}
	if ByteOffset(text, 2) != 3 || ByteOffset(text, 99) != len(text) {
		t.Fatal("ByteOffset")
	}
}

func TestChecksums(t *testing.T) {
	tests := []struct {
		name string
		f    func(string) bool
		ok   []string
		bad  []string
	}{
		{"luhn", luhn, []string{"4111111111111111", "79927398713"}, []string{"4111111111111112", "1"}},
		{"iban", validIBAN, []string{"GB82WEST12345698765432", "DE89370400440532013000", "fr1420041010050500013m02606"}, []string{"GB82WEST12345698765431", "XX82WEST12345698765432"}},
		{"ssn", validSSN, []string{"536323065"}, []string{"000123456", "666123456", "912123456", "536003065", "536320000", "078051120"}},
		{"nino", validNINO, []string{"AB123456C"}, []string{"QQ123456C", "GB123456A", "AB123456E"}},
		{"nif", validNIF, []string{"12345678Z", "X1234567L"}, []string{"12345678A"}},
		{"nhs", validNHS, []string{"9434765919"}, []string{"9434765918"}},
		{"aadhaar", validAadhaar, []string{"234123412346"}, []string{"234123412345", "123412341234"}},
		{"pesel", validPESEL, []string{"44051401359"}, []string{"44051401358"}},
		{"tckn", validTCKN, []string{"10000000146"}, []string{"10000000147"}},
		{"finnish pic", validFinnishPIC, []string{"131052-308T"}, []string{"131052-308U"}},
		{"nric", validNRIC, []string{"S1234567D"}, []string{"S1234567A"}},
	}
	for _, tt := range tests {
		for _, v := range tt.ok {
			if !tt.f(v) {
				t.Errorf("%s(%q) = false, want true", tt.name, v)
			}
		}
		for _, v := range tt.bad {
			if tt.f(v) {
				t.Errorf("%s(%q) = true, want false", tt.name, v)
			}
		}
	}
}
