package emu

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// --- awsQuery (ElastiCache, SNS) ---

// QueryList returns the values of a flattened awsQuery list: prefix.1,
// prefix.2, … (e.g. QueryList(form, "TagKeys.member")).
func QueryList(form url.Values, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[prefix+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// QueryStructs returns the members of an awsQuery list of structures, each
// as its fields: QueryStructs(form, "Tags.Tag") reads Tags.Tag.1.Key,
// Tags.Tag.1.Value, Tags.Tag.2.Key, …
func QueryStructs(form url.Values, prefix string) []map[string]string {
	var out []map[string]string
	for i := 1; ; i++ {
		p := prefix + "." + strconv.Itoa(i) + "."
		m := map[string]string{}
		for k, v := range form {
			if strings.HasPrefix(k, p) {
				m[strings.TrimPrefix(k, p)] = v[0]
			}
		}
		if len(m) == 0 {
			return out
		}
		out = append(out, m)
	}
}

// WriteQueryResult writes an awsQuery success response:
// <ActionResponse xmlns=…><ActionResult>result</ActionResult><ResponseMetadata>….
// result is marshalled with encoding/xml as the content of ActionResult (nil
// for an empty result).
func WriteQueryResult(w http.ResponseWriter, req *Request, xmlns string, result any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.WriteString("<" + req.Action + "Response xmlns=\"" + xmlns + "\">")
	if result != nil {
		enc := xml.NewEncoder(&buf)
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: req.Action + "Result"}}); err != nil {
			WriteQueryError(w, req, xmlns, &APIError{Code: "InternalFailure", Message: err.Error(), Status: 500, Server: true})
			return
		}
	}
	buf.WriteString("<ResponseMetadata><RequestId>" + req.RequestID + "</RequestId></ResponseMetadata>")
	buf.WriteString("</" + req.Action + "Response>")
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", req.RequestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

type queryError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// WriteQueryError writes an awsQuery ErrorResponse.
func WriteQueryError(w http.ResponseWriter, req *Request, xmlns string, e *APIError) {
	req.ErrorCode = e.Code
	typ := "Sender"
	if e.Server {
		typ = "Receiver"
	}
	body, _ := xml.Marshal(queryError{Xmlns: xmlns, Type: typ, Code: e.Code, Message: e.Message, RequestID: req.RequestID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", req.RequestID)
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

// --- awsJson1_1 (MemoryDB, Redshift Serverless, tagging, EventBridge) ---

// DecodeJSON reads a JSON request body into v.
func DecodeJSON(r *http.Request, v any) *APIError {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return ErrSerialization(err.Error())
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return ErrSerialization("Could not parse request body: " + err.Error())
	}
	return nil
}

// WriteJSON writes an awsJson1_1 success response.
func WriteJSON(w http.ResponseWriter, req *Request, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteJSONError(w, req, &APIError{Code: "InternalFailure", Message: err.Error(), Status: 500, Server: true})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", req.RequestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// WriteJSONError writes an awsJson1_1 error: the code in __type and in the
// X-Amzn-ErrorType header, the text in message.
func WriteJSONError(w http.ResponseWriter, req *Request, e *APIError) {
	req.ErrorCode = e.Code
	body, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", req.RequestID)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(body)
}

// EpochSeconds is a timestamp in the awsJson default format: seconds since
// the epoch as a JSON number with millisecond precision.
type EpochSeconds time.Time

// MarshalJSON implements json.Marshaler.
func (t EpochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *EpochSeconds) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*t = EpochSeconds(time.UnixMilli(int64(f * 1000)).UTC())
	return nil
}

// ISO8601 is a timestamp with timestampFormat "iso8601" in a JSON protocol.
type ISO8601 time.Time

// MarshalJSON implements json.Marshaler.
func (t ISO8601) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z"))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *ISO8601) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	*t = ISO8601(v)
	return err
}

// XMLTime formats a timestamp for an awsQuery response (ISO 8601, UTC).
func XMLTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// --- pagination ---

// Page returns the slice of items for a page starting at the opaque token
// (the index of the first item, as the services' markers are opaque) and at
// most max long, and the token of the next page ("" for the last).
func Page[T any](items []T, token string, max int) ([]T, string, *APIError) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(token, "p"))
		if err != nil || n < 0 || n > len(items) {
			return nil, "", Errorf("InvalidParameterValue", "Invalid pagination token: %s", token)
		}
		start = n
	}
	end := len(items)
	if max > 0 && start+max < end {
		end = start + max
	}
	next := ""
	if end < len(items) {
		next = "p" + strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

// SortedKeys returns the keys of m in order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
