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

// BenchmarkScan measures throughput on typical prompt text (64 KiB of it).
func BenchmarkScan(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := loadPrompt(b)
	text := strings.Repeat(p+"\n", 64<<10/len(p)+1)[:64<<10]
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.Scan(text)
	}
}

// BenchmarkScanPrompt4K measures the latency of scanning one typical 4 KB prompt.
func BenchmarkScanPrompt4K(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := loadPrompt(b)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.Scan(p)
	}
}

// BenchmarkScanSecretsOnly measures the secret rules alone.
func BenchmarkScanSecretsOnly(b *testing.B) {
	s, err := New(Options{Categories: []Category{CategorySecret}})
	if err != nil {
		b.Fatal(err)
	}
	p := loadPrompt(b)
	text := strings.Repeat(p+"\n", 64<<10/len(p)+1)[:64<<10]
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.Scan(text)
	}
}
