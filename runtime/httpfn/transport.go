package httpfn

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/runtime"
)

// Transport is an http.RoundTripper that sends each request to a Lambda handler as an event
// source would: it encodes the request as the source's event, invokes the handler, and
// decodes its response. With a [runtime.Local] as the Handler, an http.Client tests a function
// in-process exactly as it runs behind a function URL, an API Gateway or a load balancer:
//
//	local := runtime.NewLocal(httpfn.NewHandler(mux, nil), nil)
//	client := &http.Client{Transport: &httpfn.Transport{Handler: local, Source: httpfn.HTTPAPI}}
//	resp, err := client.Get("https://api.example.com/videos/42")
//
// The events follow AWS's documentation of each payload: header names in lower case; for
// payload format 2.0, repeated headers joined by commas and cookies in "cookies"; for a REST
// API, query parameters decoded and the stage in requestContext only; for a load balancer,
// the X-Forwarded-For, -Proto and -Port headers it adds and, without multi-value headers,
// the last value of a repeated header or query parameter. Bodies of binary content types are
// base64-encoded.
type Transport struct {
	// Handler is invoked with each event: a runtime.Local, or a handler made by NewHandler.
	Handler lambda.Handler
	// Source is the source whose events are sent; Detect means HTTPAPI.
	Source Source
	// MultiValueHeaders sends an ALB's events as a target group with multi-value headers
	// does.
	MultiValueHeaders bool
	// Stream decodes responses in the streaming response mode's format (Options.Stream).
	Stream bool
	// SourceIP is the client address put in the events. Default: 192.0.2.1.
	SourceIP string
}

// RoundTrip implements http.RoundTripper. An error from the handler is returned as an error;
// a source would answer 502 Bad Gateway.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	payload, err := t.encodeRequest(req, body)
	if err != nil {
		return nil, err
	}
	out, err := t.Handler.Invoke(req.Context(), payload)
	if err != nil {
		return nil, fmt.Errorf("httpfn: %v handler: %w", t.source(), err)
	}
	resp, err := t.decodeResponse(out)
	if err != nil {
		return nil, err
	}
	resp.Request = req
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody
		resp.ContentLength = -1
	}
	return resp, nil
}

func (t *Transport) source() Source {
	if t.Source == Detect {
		return HTTPAPI
	}
	return t.Source
}

func (t *Transport) encodeRequest(req *http.Request, body []byte) ([]byte, error) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	ip := t.SourceIP
	if ip == "" {
		ip = "192.0.2.1"
	}
	// Header names as the sources pass them: in lower case.
	header := make(map[string][]string, len(req.Header)+2)
	for k, vs := range req.Header {
		header[strings.ToLower(k)] = append(header[strings.ToLower(k)], vs...)
	}
	header["host"] = []string{host}
	if len(body) > 0 {
		header["content-length"] = []string{strconv.Itoa(len(body))}
	}
	b64 := len(body) > 0 && (isBinary(req.Header.Get("Content-Type")) || !utf8.Valid(body))
	bodyString := string(body)
	if b64 {
		bodyString = base64.StdEncoding.EncodeToString(body)
	}
	now := time.Now()
	requestID := runtime.NewRequestID()
	path := req.URL.EscapedPath()
	switch t.source() {
	case FunctionURL, HTTPAPI:
		cookies := header["cookie"]
		delete(header, "cookie")
		var split []string
		for _, c := range cookies {
			for part := range strings.SplitSeq(c, ";") {
				if part = strings.TrimSpace(part); part != "" {
					split = append(split, part)
				}
			}
		}
		ev := events.APIGatewayV2HTTPRequest{
			Version:        "2.0",
			RouteKey:       "$default",
			RawPath:        path,
			RawQueryString: req.URL.RawQuery,
			Cookies:        split,
			Headers:        joined(header),
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				RouteKey:     "$default",
				AccountID:    "123456789012",
				Stage:        "$default",
				RequestID:    requestID,
				APIID:        "abcdefghij",
				DomainName:   host,
				DomainPrefix: strings.Split(host, ".")[0],
				Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
				TimeEpoch:    now.UnixMilli(),
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
					Method: req.Method, Path: req.URL.Path, Protocol: "HTTP/1.1",
					SourceIP: ip, UserAgent: req.UserAgent(),
				},
			},
			Body:            bodyString,
			IsBase64Encoded: b64,
		}
		if q := req.URL.Query(); len(q) > 0 {
			ev.QueryStringParameters = joined(q)
		}
		if t.source() == FunctionURL {
			// A function URL's own domain, whatever Host the client (or a CDN before it)
			// used.
			const id = "abcdefghijklmnopqrstuvwxyz012345"
			ev.RequestContext.DomainName, ev.RequestContext.DomainPrefix = id+".lambda-url.us-east-1.on.aws", id
			ev.RequestContext.APIID = id
		}
		return json.Marshal(ev)
	case RESTAPI:
		q, err := url.ParseQuery(req.URL.RawQuery)
		if err != nil {
			return nil, fmt.Errorf("httpfn: query %q: %w", req.URL.RawQuery, err)
		}
		const stage = "prod"
		ev := events.APIGatewayProxyRequest{
			Resource:                        "/{proxy+}",
			Path:                            path,
			HTTPMethod:                      req.Method,
			Headers:                         last(header),
			MultiValueHeaders:               header,
			QueryStringParameters:           last(q),
			MultiValueQueryStringParameters: q,
			PathParameters:                  map[string]string{"proxy": strings.TrimPrefix(req.URL.Path, "/")},
			RequestContext: events.APIGatewayProxyRequestContext{
				AccountID:        "123456789012",
				ResourceID:       "abcdef",
				Stage:            stage,
				DomainName:       host,
				DomainPrefix:     strings.Split(host, ".")[0],
				RequestID:        requestID,
				Protocol:         "HTTP/1.1",
				Identity:         events.APIGatewayRequestIdentity{SourceIP: ip, UserAgent: req.UserAgent()},
				ResourcePath:     "/{proxy+}",
				Path:             "/" + stage + path,
				HTTPMethod:       req.Method,
				RequestTime:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
				RequestTimeEpoch: now.UnixMilli(),
				APIID:            "abcdefghij",
			},
			Body:            bodyString,
			IsBase64Encoded: b64,
		}
		if len(q) == 0 {
			ev.QueryStringParameters, ev.MultiValueQueryStringParameters = nil, nil
		}
		return json.Marshal(ev)
	case ALB:
		port, proto := "80", "http"
		if req.URL.Scheme == "https" {
			port, proto = "443", "https"
		}
		header["x-forwarded-for"] = append(header["x-forwarded-for"], ip)
		header["x-forwarded-port"] = []string{port}
		header["x-forwarded-proto"] = []string{proto}
		// The load balancer passes query parameters without decoding them.
		q := map[string][]string{}
		if req.URL.RawQuery != "" {
			for part := range strings.SplitSeq(req.URL.RawQuery, "&") {
				k, v, _ := strings.Cut(part, "=")
				q[k] = append(q[k], v)
			}
		}
		ev := events.ALBTargetGroupRequest{
			HTTPMethod:      req.Method,
			Path:            path,
			RequestContext:  events.ALBTargetGroupRequestContext{ELB: events.ELBContext{TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda/6d0ecf831eec9f09"}},
			IsBase64Encoded: b64,
			Body:            bodyString,
		}
		if t.MultiValueHeaders {
			ev.MultiValueHeaders, ev.MultiValueQueryStringParameters = header, q
		} else {
			ev.Headers, ev.QueryStringParameters = last(header), last(q)
		}
		return json.Marshal(ev)
	}
	return nil, fmt.Errorf("httpfn: unknown source %v", t.Source)
}

func joined(m map[string][]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, vs := range m {
		out[k] = strings.Join(vs, ",")
	}
	return out
}

func last(m map[string][]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, vs := range m {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

// response is the union of the sources' response payloads.
type response struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func (t *Transport) decodeResponse(out []byte) (*http.Response, error) {
	var r response
	var body []byte
	if t.Stream && (t.source() == FunctionURL || t.source() == HTTPAPI) {
		prelude, rest, ok := bytes.Cut(out, preludeSeparator)
		if !ok {
			return nil, fmt.Errorf("httpfn: streamed response without a prelude: %.100q", out)
		}
		if err := json.Unmarshal(prelude, &r); err != nil {
			return nil, fmt.Errorf("httpfn: streamed response prelude: %w", err)
		}
		body = rest
	} else {
		if err := json.Unmarshal(out, &r); err != nil {
			return nil, fmt.Errorf("httpfn: response: %w", err)
		}
		body = []byte(r.Body)
		if r.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(r.Body)
			if err != nil {
				return nil, fmt.Errorf("httpfn: response body: %w", err)
			}
			body = b
		}
	}
	if r.StatusCode == 0 {
		r.StatusCode = http.StatusOK
	}
	h := make(http.Header)
	for _, k := range slices.Sorted(maps.Keys(r.MultiValueHeaders)) {
		for _, v := range r.MultiValueHeaders[k] {
			h.Add(k, v)
		}
	}
	for k, v := range r.Headers {
		if _, ok := h[http.CanonicalHeaderKey(k)]; !ok {
			h.Set(k, v)
		}
	}
	for _, c := range r.Cookies {
		h.Add("Set-Cookie", c)
	}
	return &http.Response{
		Status:        strconv.Itoa(r.StatusCode) + " " + http.StatusText(r.StatusCode),
		StatusCode:    r.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}, nil
}
