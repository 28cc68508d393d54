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

	"github.com/aws/aws-lambda-go/events"
)

// event is an HTTP request as an event source delivered it, decoded from its payload.
type event struct {
	source Source
	raw    any // *events.LambdaFunctionURLRequest, *events.APIGatewayV2HTTPRequest, …

	method     string
	path       string // as the client sent it: escaped
	query      string // raw, escaped
	header     http.Header
	host       string
	remoteIP   string
	proto      string
	https      bool
	body       []byte
	multiValue bool // an ALB target group with multi-value headers
	requestID  string
}

// v1Event is the shape shared by REST API and ALB payloads: one decode tells them apart by
// requestContext.elb.
type v1Event struct {
	events.APIGatewayProxyRequest
	RequestContext struct {
		events.APIGatewayProxyRequestContext
		ELB *events.ELBContext `json:"elb"`
	} `json:"requestContext"`
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// decodeEvent decodes payload as an event of source, or of the source it detects.
func decodeEvent(payload []byte, source Source) (*event, error) {
	switch source {
	case Detect, FunctionURL, HTTPAPI:
		var v2 events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &v2); err != nil {
			return nil, malformed("%v", err)
		}
		if v2.Version == "2.0" {
			if source == Detect {
				source = HTTPAPI
				if strings.Contains(v2.RequestContext.DomainName, ".lambda-url.") {
					source = FunctionURL
				}
			}
			return fromV2(&v2, source)
		}
		if source != Detect {
			return nil, malformed("%s payload has version %q, not 2.0", source, v2.Version)
		}
	case RESTAPI, ALB:
	default:
		return nil, fmt.Errorf("httpfn: unknown source %v", source)
	}
	var v1 v1Event
	if err := json.Unmarshal(payload, &v1); err != nil {
		return nil, malformed("%v", err)
	}
	if v1.HTTPMethod == "" {
		return nil, malformed("no HTTP method: not an event of a function URL, API Gateway or an Application Load Balancer")
	}
	isALB := v1.RequestContext.ELB != nil
	switch {
	case source == Detect && isALB, source == ALB:
		if !isALB {
			return nil, malformed("ALB payload has no requestContext.elb")
		}
		return fromALB(&events.ALBTargetGroupRequest{
			HTTPMethod:                      v1.HTTPMethod,
			Path:                            v1.Path,
			QueryStringParameters:           v1.QueryStringParameters,
			MultiValueQueryStringParameters: v1.MultiValueQueryStringParameters,
			Headers:                         v1.Headers,
			MultiValueHeaders:               v1.MultiValueHeaders,
			RequestContext:                  events.ALBTargetGroupRequestContext{ELB: *v1.RequestContext.ELB},
			IsBase64Encoded:                 v1.IsBase64Encoded,
			Body:                            v1.Body,
		})
	case isALB:
		return nil, malformed("%s payload has requestContext.elb", source)
	}
	rest := v1.APIGatewayProxyRequest
	rest.RequestContext = v1.RequestContext.APIGatewayProxyRequestContext
	return fromREST(&rest)
}

func decodeBody(body string, b64 bool) ([]byte, error) {
	if !b64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, malformed("body: %v", err)
	}
	return b, nil
}

func fromV2(v2 *events.APIGatewayV2HTTPRequest, source Source) (*event, error) {
	body, err := decodeBody(v2.Body, v2.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	rc := &v2.RequestContext
	ev := &event{
		source:    source,
		raw:       v2,
		method:    rc.HTTP.Method,
		path:      v2.RawPath,
		query:     v2.RawQueryString,
		header:    make(http.Header, len(v2.Headers)+1),
		remoteIP:  rc.HTTP.SourceIP,
		proto:     rc.HTTP.Protocol,
		https:     true, // function URLs and API Gateway serve HTTPS only
		body:      body,
		requestID: rc.RequestID,
	}
	if source == FunctionURL {
		ev.raw = functionURLRequest(v2)
	}
	for k, v := range v2.Headers {
		ev.header[http.CanonicalHeaderKey(k)] = []string{v}
	}
	if len(v2.Cookies) > 0 {
		ev.header["Cookie"] = []string{strings.Join(v2.Cookies, "; ")}
	}
	ev.host = hostOf(ev.header, rc.DomainName)
	// On an execute-api endpoint, a named stage is the path's first segment; on a custom
	// domain, rawPath leaves out the API mapping.
	if rc.Stage != "" && rc.Stage != "$default" && strings.HasSuffix(rc.DomainName, ".amazonaws.com") {
		if rest, ok := strings.CutPrefix(ev.path, "/"+rc.Stage); ok && (rest == "" || rest[0] == '/') {
			ev.path = rest
		}
	}
	if ev.method == "" {
		return nil, malformed("%s payload has no requestContext.http.method", source)
	}
	return ev, nil
}

// functionURLRequest is the function URL event v2 was decoded from: the same JSON read into
// aws-lambda-go's type for function URLs.
func functionURLRequest(v2 *events.APIGatewayV2HTTPRequest) *events.LambdaFunctionURLRequest {
	rc := &v2.RequestContext
	r := &events.LambdaFunctionURLRequest{
		Version:               v2.Version,
		RawPath:               v2.RawPath,
		RawQueryString:        v2.RawQueryString,
		Cookies:               v2.Cookies,
		Headers:               v2.Headers,
		QueryStringParameters: v2.QueryStringParameters,
		RequestContext: events.LambdaFunctionURLRequestContext{
			AccountID:    rc.AccountID,
			RequestID:    rc.RequestID,
			APIID:        rc.APIID,
			DomainName:   rc.DomainName,
			DomainPrefix: rc.DomainPrefix,
			Time:         rc.Time,
			TimeEpoch:    rc.TimeEpoch,
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method:    rc.HTTP.Method,
				Path:      rc.HTTP.Path,
				Protocol:  rc.HTTP.Protocol,
				SourceIP:  rc.HTTP.SourceIP,
				UserAgent: rc.HTTP.UserAgent,
			},
		},
		Body:            v2.Body,
		IsBase64Encoded: v2.IsBase64Encoded,
	}
	if a := rc.Authorizer; a != nil && a.IAM != nil {
		r.RequestContext.Authorizer = &events.LambdaFunctionURLRequestContextAuthorizerDescription{
			IAM: &events.LambdaFunctionURLRequestContextAuthorizerIAMDescription{
				AccessKey: a.IAM.AccessKey,
				AccountID: a.IAM.AccountID,
				CallerID:  a.IAM.CallerID,
				UserARN:   a.IAM.UserARN,
				UserID:    a.IAM.UserID,
			},
		}
	}
	return r
}

func fromREST(r *events.APIGatewayProxyRequest) (*event, error) {
	body, err := decodeBody(r.Body, r.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	rc := &r.RequestContext
	ev := &event{
		source:    RESTAPI,
		raw:       r,
		method:    r.HTTPMethod,
		path:      r.Path, // without the stage, which only requestContext.path has
		header:    multiHeader(r.MultiValueHeaders, r.Headers),
		remoteIP:  rc.Identity.SourceIP,
		proto:     rc.Protocol,
		https:     true,
		body:      body,
		requestID: rc.RequestID,
	}
	// API Gateway decodes query parameters; encode them again, keys in order since the
	// map loses the order between keys.
	ev.query = encodeQuery(r.MultiValueQueryStringParameters, r.QueryStringParameters, url.QueryEscape)
	ev.host = hostOf(ev.header, rc.DomainName)
	return ev, nil
}

func fromALB(r *events.ALBTargetGroupRequest) (*event, error) {
	body, err := decodeBody(r.Body, r.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	ev := &event{
		source:     ALB,
		raw:        r,
		method:     r.HTTPMethod,
		path:       r.Path,
		header:     multiHeader(r.MultiValueHeaders, r.Headers),
		body:       body,
		multiValue: r.MultiValueHeaders != nil || r.MultiValueQueryStringParameters != nil,
	}
	// The load balancer passes query parameters as the client sent them, still encoded.
	ev.query = encodeQuery(r.MultiValueQueryStringParameters, r.QueryStringParameters, nil)
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
func multiHeader(multi map[string][]string, single map[string]string) http.Header {
	if multi != nil {
		h := make(http.Header, len(multi))
		for k, vs := range multi {
			k = http.CanonicalHeaderKey(k)
			h[k] = append(h[k], vs...)
		}
		return h
	}
	h := make(http.Header, len(single))
	for k, v := range single {
		h[http.CanonicalHeaderKey(k)] = []string{v}
	}
	return h
}

// encodeQuery makes a query string of payload 1.0 parameters, keys sorted, each key's values
// in the order the client sent them. escape is applied to keys and values, or nothing when it
// is nil.
func encodeQuery(multi map[string][]string, single map[string]string, escape func(string) string) string {
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
	if multi != nil {
		for _, k := range slices.Sorted(maps.Keys(multi)) {
			for _, v := range multi[k] {
				add(k, v)
			}
		}
		return b.String()
	}
	for _, k := range slices.Sorted(maps.Keys(single)) {
		add(k, single[k])
	}
	return b.String()
}

func hostOf(h http.Header, domainName string) string {
	if v := h.Get("Host"); v != "" {
		return v
	}
	return domainName
}
