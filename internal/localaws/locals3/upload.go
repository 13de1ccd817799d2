package locals3

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxUpload bounds a single in-memory upload (the local S3 keeps objects in
// memory; exports are a few KB).
const maxUpload = 512 << 20

// prepareUpload readies an object write for gofakes3: it decodes an
// aws-chunked body (SigV4 streaming, signed or unsigned, with or without
// trailing checksums; S3 API Reference, "Signature calculations for the
// Authorization header: Transferring payload in multiple chunks"), moving
// trailing checksums into headers, and drops the request-only x-amz-*
// headers that gofakes3 would otherwise keep as object metadata and echo on
// every GET.
func prepareUpload(r *http.Request, action string) *s3Error {
	switch action {
	case "PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "PostObject":
	default:
		return nil
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		body, trailers, err := decodeAWSChunked(io.LimitReader(r.Body, maxUpload))
		_ = r.Body.Close()
		if err != nil {
			return &s3Error{Status: 400, Code: "IncompleteBody", Message: "The request body terminated unexpectedly"}
		}
		if want := r.Header.Get("X-Amz-Decoded-Content-Length"); want != "" && want != strconv.Itoa(len(body)) {
			return &s3Error{Status: 400, Code: "IncompleteBody", Message: "You did not provide the number of bytes specified by the Content-Length HTTP header"}
		}
		for k, v := range trailers {
			r.Header.Set(k, v)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if ce := r.Header.Get("Content-Encoding"); ce != "" {
			var rest []string
			for _, p := range strings.Split(ce, ",") {
				if p = strings.TrimSpace(p); p != "" && p != "aws-chunked" {
					rest = append(rest, p)
				}
			}
			if len(rest) == 0 {
				r.Header.Del("Content-Encoding")
			} else {
				r.Header.Set("Content-Encoding", strings.Join(rest, ","))
			}
		}
	}
	for k := range r.Header {
		if strings.HasPrefix(k, "X-Amz-") && !keptObjectHeader(k) {
			r.Header.Del(k)
		}
	}
	return nil
}

// keptObjectHeader reports whether an x-amz-* request header is object
// metadata S3 keeps and returns (user metadata, checksums, encryption,
// storage class, redirect) or one gofakes3 needs (copy source).
func keptObjectHeader(k string) bool {
	for _, p := range []string{"X-Amz-Meta-", "X-Amz-Checksum-", "X-Amz-Server-Side-Encryption", "X-Amz-Copy-Source"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	switch k {
	case "X-Amz-Storage-Class", "X-Amz-Website-Redirect-Location", "X-Amz-Metadata-Directive":
		return true
	}
	return false
}

// decodeAWSChunked reads an aws-chunked body: chunks of
// "<hex size>[;chunk-signature=…]\r\n<data>\r\n" ending with a zero-size
// chunk, then optional trailer lines "name:value" and an empty line.
// Signatures are not verified (the local AWS does not check signatures).
func decodeAWSChunked(r io.Reader) ([]byte, map[string]string, error) {
	br := bufio.NewReader(r)
	var out bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		sizeText, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
		if err != nil || size < 0 {
			return nil, nil, io.ErrUnexpectedEOF
		}
		if size == 0 {
			break
		}
		if _, err := io.CopyN(&out, br, size); err != nil {
			return nil, nil, err
		}
		if crlf, err := br.ReadString('\n'); err != nil || strings.TrimRight(crlf, "\r\n") != "" {
			return nil, nil, io.ErrUnexpectedEOF
		}
	}
	trailers := map[string]string{}
	for {
		line, err := br.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			if k, v, ok := strings.Cut(line, ":"); ok && !strings.EqualFold(strings.TrimSpace(k), "x-amz-trailer-signature") {
				trailers[http.CanonicalHeaderKey(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if err != nil || line == "" {
			break
		}
	}
	return out.Bytes(), trailers, nil
}
