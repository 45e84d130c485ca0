package privacy

import (
	"os"
	"strings"
	"testing"
)

func loadPrompt(b testing.TB) string {
	p, err := os.ReadFile("testdata/prompt_4k.txt")
	if err != nil {
		b.Fatal(err)
	}
	return string(p)
}

// benchScan scans text b.N times with a scanner built from opts.
func benchScan(b *testing.B, opts Options, text string) {
	s, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.Scan(text)
	}
}

// text64K is typical prompt text repeated to 64 KiB.
func text64K(b *testing.B) string {
	p := loadPrompt(b)
	return strings.Repeat(p+"\n", 64<<10/len(p)+1)[:64<<10]
}

// BenchmarkScan measures throughput on typical prompt text (64 KiB of it).
func BenchmarkScan(b *testing.B) { benchScan(b, Options{}, text64K(b)) }

// BenchmarkScanPrompt4K measures the latency of scanning one typical 4 KB prompt.
func BenchmarkScanPrompt4K(b *testing.B) { benchScan(b, Options{}, loadPrompt(b)) }

// BenchmarkScanSecretsOnly measures the secret rules alone.
func BenchmarkScanSecretsOnly(b *testing.B) {
	benchScan(b, Options{Categories: []Category{CategorySecret}}, text64K(b))
}
