package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// MaxErrorBody bounds how much of an upstream error answer is read.
const MaxErrorBody = 1 << 20

// MaxResponseBody bounds a non-streamed upstream answer.
const MaxResponseBody = 256 << 20

// NewTransport returns an HTTP transport tuned for a gateway: many idle connections per host
// (the default of 2 serialises a busy gateway behind connection setup), bounded dial and TLS
// handshake times, and no proxy for loopback engines.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// NewClient returns an HTTP client on t, or on a new NewTransport when t is nil.
func NewClient(t http.RoundTripper) *http.Client {
	if t == nil {
		t = NewTransport()
	}
	return &http.Client{Transport: t}
}

// Post sends a JSON body and returns the response when its status is 2xx. Any other status is
// read, closed and returned as the error that decodeError makes of it. Transport failures are
// mapped to retryable 502s, and deadline expiry to 504s.
func Post(ctx context.Context, hc *http.Client, url string, header http.Header, body []byte,
	name string, decodeError func(status int, body []byte) *llm.Error) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", name, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	return Do(hc, req, name, decodeError)
}

// Do sends req; see Post.
func Do(hc *http.Client, req *http.Request, name string, decodeError func(status int, body []byte) *llm.Error) (*http.Response, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, TransportError(name, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	e := decodeError(resp.StatusCode, b)
	if ra := parseRetryAfter(resp.Header.Get("Retry-After")); ra > 0 {
		e.RetryAfter = ra
	}
	return nil, e
}

// TransportError maps a failure to reach or read from an upstream to an *llm.Error.
func TransportError(name string, err error) error {
	var e *llm.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err) {
		return &llm.Error{Status: http.StatusGatewayTimeout, Type: llm.TypeTimeout, Code: llm.CodeUpstreamTimeout,
			Message: fmt.Sprintf("provider %q did not answer in time; try again, or raise its timeout in the gateway's configuration", name),
			Cause:   err, Retryable: true}
	}
	return &llm.Error{Status: http.StatusBadGateway, Type: llm.TypeUpstream, Code: llm.CodeUpstreamUnavailable,
		Message: fmt.Sprintf("provider %q could not be reached; check that it is running (sovereign doctor)", name),
		Cause:   err, Retryable: true}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// BadResponse is the error for an upstream answer that cannot be understood.
func BadResponse(name string, err error) error {
	return &llm.Error{Status: http.StatusBadGateway, Type: llm.TypeUpstream, Code: llm.CodeUpstreamBadResponse,
		Message: fmt.Sprintf("provider %q sent an answer the gateway could not read", name), Cause: err}
}

// ReadBody reads a successful upstream body, bounded, mapping read failures.
func ReadBody(name string, resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	if err != nil {
		return nil, TransportError(name, err)
	}
	if len(b) > MaxResponseBody {
		return nil, BadResponse(name, errors.New("answer too large"))
	}
	return b, nil
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// IdleTimer cancels a stream whose upstream stays silent for longer than d. Reset it on every
// event; Stop it when the stream ends.
type IdleTimer struct {
	t *time.Timer
	d time.Duration
}

// NewIdleTimer calls cancel after d without a Reset. A zero d disables it.
func NewIdleTimer(d time.Duration, cancel func()) *IdleTimer {
	if d <= 0 {
		return &IdleTimer{}
	}
	return &IdleTimer{t: time.AfterFunc(d, cancel), d: d}
}

// Reset restarts the countdown.
func (it *IdleTimer) Reset() {
	if it.t != nil {
		it.t.Reset(it.d)
	}
}

// Stop stops the timer.
func (it *IdleTimer) Stop() {
	if it.t != nil {
		it.t.Stop()
	}
}

// StreamError maps a failure to read a stream that had already started. Nothing about it is
// retryable: part of the answer may have reached the caller.
func StreamError(name string, err error) error {
	var e *llm.Error
	if errors.As(err, &e) || errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err) {
		e := TransportError(name, err).(*llm.Error)
		e.Retryable = false
		return e
	}
	return &llm.Error{Status: http.StatusBadGateway, Type: llm.TypeUpstream, Code: llm.CodeUpstreamError,
		Message: fmt.Sprintf("the connection to provider %q broke while it was answering; the answer is incomplete", name),
		Cause:   err}
}

// PostStream sends a streamed request with Post and returns the response once its headers have
// arrived, together with the cancel func that ends the stream (the caller's to call when done).
// timeout bounds only the wait for the headers; after them, the adapter's idle timer guards the
// stream. Expiry of timeout is a 504, as for Post.
func PostStream(ctx context.Context, hc *http.Client, url string, header http.Header, body []byte, name string,
	timeout time.Duration, decodeError func(status int, body []byte) *llm.Error) (*http.Response, context.CancelFunc, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	first := time.AfterFunc(timeout, cancel)
	resp, err := Post(ctx, hc, url, header, body, name, decodeError)
	if !first.Stop() && err == nil {
		// The timeout fired just as the headers came: the body is already cancelled.
		resp.Body.Close()
		err = context.Canceled
	}
	if err != nil {
		cancel()
		if parent.Err() == nil && errors.Is(err, context.Canceled) {
			return nil, nil, TransportError(name, context.DeadlineExceeded)
		}
		return nil, nil, err
	}
	return resp, cancel, nil
}
