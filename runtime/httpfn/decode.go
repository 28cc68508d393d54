package httpfn

import "net/http"

// fields are what the request needs of any source's payload.
type fields struct {
	version        string
	rawPath        string
	rawQueryString string
	cookies        []string
	headers        []byte // the JSON object, read when there are no multi-value headers
	multiHeaders   http.Header
	query          []byte // the JSON object, read when there are no multi-value parameters
	multiQuery     map[string][]string
	body           string
	base64         bool
	httpMethod     string // payload 1.0
	path           string // payload 1.0

	// requestContext
	requestID  string
	domainName string
	stage      string
	protocol   string // payload 1.0
	method     string // http.method, payload 2.0
	sourceIP   string // http.sourceIp (2.0) or identity.sourceIp (1.0)
	http       bool   // has requestContext.http
	elb        bool   // has requestContext.elb
}

// scanFields reads payload's fields in one pass.
func scanFields(payload []byte) (*fields, error) {
	f := &fields{}
	s := &scanner{data: payload}
	if s.peek() != '{' {
		return nil, s.fail("the event is not a JSON object")
	}
	err := s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "version":
			f.version, err = s.string()
		case "rawPath":
			f.rawPath, err = s.string()
		case "rawQueryString":
			f.rawQueryString, err = s.string()
		case "cookies":
			f.cookies, err = s.strings()
		case "headers":
			f.headers, err = s.value()
		case "multiValueHeaders":
			f.multiHeaders, err = s.multiHeader()
		case "queryStringParameters":
			f.query, err = s.value()
		case "multiValueQueryStringParameters":
			f.multiQuery, err = s.stringsMap()
		case "body":
			f.body, err = s.string()
		case "isBase64Encoded":
			f.base64, err = s.bool()
		case "httpMethod":
			f.httpMethod, err = s.string()
		case "path":
			f.path, err = s.string()
		case "requestContext":
			err = s.object(func(key []byte) error { return f.requestContext(s, key) })
		default:
			err = s.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, s.end()
}

func (f *fields) requestContext(s *scanner, key []byte) error {
	var err error
	switch string(key) {
	case "requestId":
		f.requestID, err = s.string()
	case "domainName":
		f.domainName, err = s.string()
	case "stage":
		f.stage, err = s.string()
	case "protocol":
		f.protocol, err = s.string()
	case "http":
		f.http = !s.null()
		if f.http {
			err = s.object(func(key []byte) error {
				var err error
				switch string(key) {
				case "method":
					f.method, err = s.string()
				case "sourceIp":
					f.sourceIP, err = s.string()
				case "protocol":
					f.protocol, err = s.string()
				default:
					err = s.skip()
				}
				return err
			})
		}
	case "identity":
		err = s.object(func(key []byte) error {
			if string(key) == "sourceIp" {
				var err error
				f.sourceIP, err = s.string()
				return err
			}
			return s.skip()
		})
	case "elb":
		f.elb = !s.null()
		if f.elb {
			err = s.object(func([]byte) error { return s.skip() })
		}
	default:
		err = s.skip()
	}
	return err
}

// value consumes a value and returns its JSON text.
func (s *scanner) value() ([]byte, error) {
	s.ws()
	start := s.pos
	err := s.skip()
	return s.data[start:s.pos], err
}

// multiHeader reads multi-value headers into an http.Header, keys canonical.
func (s *scanner) multiHeader() (http.Header, error) {
	if s.null() {
		return nil, nil
	}
	h := http.Header{}
	err := s.object(func(k []byte) error {
		key := http.CanonicalHeaderKey(string(k))
		return s.array(func() error {
			v, err := s.string()
			h[key] = append(h[key], v)
			return err
		})
	})
	return h, err
}

// header reads the single-value headers in the JSON object b into an http.Header, keys
// canonical, its values in one allocation, with room for n more keys.
func header(b []byte, n int) (http.Header, error) {
	var pairs [64]string
	kv := pairs[:0]
	if len(b) > 0 {
		s := &scanner{data: b}
		err := s.object(func(k []byte) error {
			v, err := s.string()
			kv = append(kv, http.CanonicalHeaderKey(string(k)), v)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	h := make(http.Header, len(kv)/2+n)
	vals := make([]string, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		vals[i/2] = kv[i+1]
		h[kv[i]] = vals[i/2 : i/2+1 : i/2+1]
	}
	return h, nil
}

// stringMapOf reads the JSON object b of strings, if any.
func stringMapOf(b []byte) (map[string]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	return (&scanner{data: b}).stringMap()
}
