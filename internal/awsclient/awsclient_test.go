package awsclient

import (
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestLoadKeepsCABundleAndHidesWriterTo(t *testing.T) {
	// A CA bundle in the environment must not stop Load (the SDK refuses a
	// replaced HTTP client when AWS_CA_BUNDLE is set).
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	bundle := t.TempDir() + "/ca.pem"
	pem := certPEM(t, srv)
	if err := os.WriteFile(bundle, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_REGION", "us-east-1")
	cfg, err := Load(context.Background())
	if err != nil {
		t.Fatalf("Load with AWS_CA_BUNDLE: %v", err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("body"))
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		t.Fatalf("request through the CA bundle client: %v", err)
	}
	resp.Body.Close()

	r := hideWriterTo(req)
	if _, ok := r.Body.(io.WriterTo); ok {
		t.Fatal("body still offers WriteTo")
	}
}

func certPEM(t *testing.T, srv *httptest.Server) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestLoadWithoutCABundle(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	t.Setenv("AWS_REGION", "us-east-1")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	cfg, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("body"))
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
