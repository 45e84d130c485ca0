// Package metrics exposes the gateway's Prometheus metrics on GET /metrics. It keeps its own
// registry (no package-level state): requests by route and status, and the ledger writer's
// backlog and failed writes, read from the writer when scraped.
package metrics

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the gateway's collectors.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
}

// LedgerStats is what the metrics read from the ledger writer.
type LedgerStats interface {
	Pending() int
	FailedWrites() uint64
}

// New returns the gateway's metrics; ledger may be nil.
func New(ledger LedgerStats) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sovereign_requests_total",
		Help: "Requests answered, by endpoint path, route (local, cloud, or none) and HTTP status.",
	}, []string{"path", "route", "status"})
	m.reg.MustRegister(m.requests, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if ledger != nil {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "sovereign_ledger_failed_writes_total",
				Help: "Ledger writes that failed and were retried (records are kept, not dropped).",
			}, func() float64 { return float64(ledger.FailedWrites()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "sovereign_ledger_pending_records",
				Help: "Ledger records waiting to be written.",
			}, func() float64 { return float64(ledger.Pending()) }),
		)
	}
	return m
}

// Request counts one answered request.
func (m *Metrics) Request(path, route string, status int) {
	if route == "" {
		route = "none"
	}
	m.requests.WithLabelValues(path, route, strconv.Itoa(status)).Inc()
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
