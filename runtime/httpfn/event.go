package httpfn

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// event is an HTTP request as an event source delivered it, decoded from its payload.
type event struct {
	source Source

	method     string
	path       string // as the client sent it: escaped
	query      string // raw, escaped
	header     http.Header
	host       string
	remoteIP   string
	proto      string
	https      bool
	body       string
	multiValue bool // an ALB target group with multi-value headers
	requestID  string

	// The payload, for decoding the raw event on demand while the request is served.
	mu      sync.Mutex
	payload []byte
	raw     any
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// decodeEvent decodes payload as an event of source, or of the source it detects.
func decodeEvent(payload []byte, source Source) (*event, error) {
	if source < Detect || source > ALB {
		return nil, fmt.Errorf("httpfn: unknown source %v", source)
	}
	f, err := scanFields(payload)
	if err != nil {
		return nil, err
	}
	var ev *event
	switch {
	case f.version == "2.0":
		switch source {
		case Detect:
			source = HTTPAPI
			if strings.Contains(f.domainName, ".lambda-url.") {
				source = FunctionURL
			}
		case RESTAPI, ALB:
			return nil, malformed("%s payload has version 2.0", source)
		}
		ev, err = fromV2(f, source)
	case source == FunctionURL || source == HTTPAPI:
		return nil, malformed("%s payload has version %q, not 2.0", source, f.version)
	case f.httpMethod == "":
		return nil, malformed("no HTTP method: not an event of a function URL, API Gateway or an Application Load Balancer")
	case f.elb && (source == Detect || source == ALB):
		ev, err = fromALB(f)
	case f.elb:
		return nil, malformed("%s payload has requestContext.elb", source)
	case source == ALB:
		return nil, malformed("ALB payload has no requestContext.elb")
	default:
		ev, err = fromREST(f)
	}
	if err != nil {
		return nil, err
	}
	ev.payload = payload
	return ev, nil
}

// rawEvent decodes the payload into aws-lambda-go's type for the source, once, while the
// request is served; it is nil afterwards if it was not asked for before.
func (ev *event) rawEvent() any {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.raw != nil || ev.payload == nil {
		return ev.raw
	}
	var raw any
	switch ev.source {
	case FunctionURL:
		raw = &events.LambdaFunctionURLRequest{}
	case HTTPAPI:
		raw = &events.APIGatewayV2HTTPRequest{}
	case RESTAPI:
		raw = &events.APIGatewayProxyRequest{}
	case ALB:
		raw = &events.ALBTargetGroupRequest{}
	}
	if json.Unmarshal(ev.payload, raw) == nil {
		ev.raw = raw
	}
	return ev.raw
}

// done forgets the payload, which the Lambda runtime reuses once the invocation ends.
func (ev *event) done() {
	ev.mu.Lock()
	ev.payload = nil
	ev.mu.Unlock()
}

func decodeBody(body string, b64 bool) (string, error) {
	if !b64 {
		return body, nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return "", malformed("body: %v", err)
	}
	return string(b), nil
}

func fromV2(f *fields, source Source) (*event, error) {
	body, err := decodeBody(f.body, f.base64)
	if err != nil {
		return nil, err
	}
	if f.method == "" {
		return nil, malformed("%s payload has no requestContext.http.method", source)
	}
	h, err := header(f.headers, 1)
	if err != nil {
		return nil, err
	}
	ev := &event{
		source:    source,
		method:    f.method,
		path:      f.rawPath,
		query:     f.rawQueryString,
		header:    h,
		remoteIP:  f.sourceIP,
		proto:     f.protocol,
		https:     true, // function URLs and API Gateway serve HTTPS only
		body:      body,
		requestID: f.requestID,
	}
	if len(f.cookies) > 0 {
		ev.header["Cookie"] = []string{strings.Join(f.cookies, "; ")}
	}
	ev.host = hostOf(ev.header, f.domainName)
	// On an execute-api endpoint, a named stage is the path's first segment; on a custom
	// domain, rawPath leaves out the API mapping.
	if f.stage != "" && f.stage != "$default" && strings.HasSuffix(f.domainName, ".amazonaws.com") {
		if rest, ok := strings.CutPrefix(ev.path, "/"+f.stage); ok && (rest == "" || rest[0] == '/') {
			ev.path = rest
		}
	}
	return ev, nil
}

func fromREST(f *fields) (*event, error) {
	body, err := decodeBody(f.body, f.base64)
	if err != nil {
		return nil, err
	}
	h, err := multiHeader(f)
	if err != nil {
		return nil, err
	}
	ev := &event{
		source:    RESTAPI,
		method:    f.httpMethod,
		path:      f.path, // without the stage, which only requestContext.path has
		header:    h,
		remoteIP:  f.sourceIP,
		proto:     f.protocol,
		https:     true,
		body:      body,
		requestID: f.requestID,
	}
	// API Gateway decodes query parameters; encode them again, keys in order since the
	// map loses the order between keys.
	if ev.query, err = encodeQuery(f, url.QueryEscape); err != nil {
		return nil, err
	}
	ev.host = hostOf(ev.header, f.domainName)
	return ev, nil
}

func fromALB(f *fields) (*event, error) {
	body, err := decodeBody(f.body, f.base64)
	if err != nil {
		return nil, err
	}
	h, err := multiHeader(f)
	if err != nil {
		return nil, err
	}
	ev := &event{
		source:     ALB,
		method:     f.httpMethod,
		path:       f.path,
		header:     h,
		body:       body,
		multiValue: f.multiHeaders != nil || f.multiQuery != nil,
	}
	// The load balancer passes query parameters as the client sent them, still encoded.
	if ev.query, err = encodeQuery(f, nil); err != nil {
		return nil, err
	}
	ev.host = hostOf(ev.header, "")
	ev.https = ev.header.Get("X-Forwarded-Proto") == "https"
	// The client is the last address the load balancer appended to X-Forwarded-For.
	if xff := ev.header.Values("X-Forwarded-For"); len(xff) > 0 {
		last := xff[len(xff)-1]
		if i := strings.LastIndexByte(last, ','); i >= 0 {
			last = last[i+1:]
		}
		ev.remoteIP = strings.TrimSpace(last)
	}
	return ev, nil
}

// multiHeader is the header of a payload 1.0 event: the multi-value headers when there are
// some, which hold every value, and else the single-value ones.
func multiHeader(f *fields) (http.Header, error) {
	if f.multiHeaders != nil {
		return f.multiHeaders, nil
	}
	return header(f.headers, 0)
}

// encodeQuery makes a query string of payload 1.0 parameters, keys sorted, each key's values
// in the order the client sent them. escape is applied to keys and values, or nothing when it
// is nil.
func encodeQuery(f *fields, escape func(string) string) (string, error) {
	if escape == nil {
		escape = func(s string) string { return s }
	}
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escape(k))
		b.WriteByte('=')
		b.WriteString(escape(v))
	}
	if f.multiQuery != nil {
		for _, k := range slices.Sorted(maps.Keys(f.multiQuery)) {
			for _, v := range f.multiQuery[k] {
				add(k, v)
			}
		}
		return b.String(), nil
	}
	single, err := stringMapOf(f.query)
	if err != nil {
		return "", err
	}
	for _, k := range slices.Sorted(maps.Keys(single)) {
		add(k, single[k])
	}
	return b.String(), nil
}

func hostOf(h http.Header, domainName string) string {
	if v := h.Get("Host"); v != "" {
		return v
	}
	return domainName
}
