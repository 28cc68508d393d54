package memevents

import (
	"testing"
)

func TestPatternMatching(t *testing.T) {
	detail := []byte(`{"version":"0","detail-type":"x","source":"s","detail":{
		"status":"COMPLETE","code":1040,"ratio":0.5,"flag":false,"nothing":null,"name":"Clip.MP4",
		"tags":["a","b"],"outputs":[{"w":1280,"h":720},{"w":640,"h":360}],"meta":{"video":"v-42","owner":{"id":"u-1"}}}}`)
	d := decodeDetail(detail)
	if d == nil {
		t.Fatal("detail did not decode")
	}
	tests := []struct {
		pattern string
		want    bool
	}{
		{`{}`, true},
		{`{"status":["COMPLETE"]}`, true},
		{`{"status":["ERROR"]}`, false},
		{`{"status":["ERROR","COMPLETE"]}`, true},
		{`{"code":[1040]}`, true},
		{`{"code":[1040.0]}`, true},
		{`{"code":["1040"]}`, false},
		{`{"flag":[false]}`, true},
		{`{"nothing":[null]}`, true},
		{`{"missing":[null]}`, false},
		{`{"name":[{"suffix":".MP4"}]}`, true},
		{`{"name":[{"prefix":"clip"}]}`, false},
		{`{"name":[{"equals-ignore-case":"clip.mp4"}]}`, true},
		{`{"code":[{"numeric":[">",1000,"<=",1040]}]}`, true},
		{`{"code":[{"numeric":["<",1000]}]}`, false},
		{`{"ratio":[{"numeric":["=",0.5]}]}`, true},
		{`{"status":[{"numeric":[">",0]}]}`, false},
		{`{"missing":[{"exists":false}]}`, true},
		{`{"status":[{"exists":false}]}`, false},
		{`{"status":[{"exists":true}]}`, true},
		{`{"status":[{"anything-but":["ERROR","CANCELED"]}]}`, true},
		{`{"status":[{"anything-but":"COMPLETE"}]}`, false},
		{`{"name":[{"anything-but":{"prefix":"Clip"}}]}`, false},
		{`{"missing":[{"anything-but":"x"}]}`, false},
		{`{"tags":["b"]}`, true},
		{`{"tags":["c"]}`, false},
		{`{"outputs":{"w":[640]}}`, true},
		{`{"outputs":{"w":[1920]}}`, false},
		{`{"meta":{"owner":{"id":["u-1"]}}}`, true},
		{`{"meta":{"owner":{"id":["u-2"]}}}`, false},
		{`{"meta":{"video":["v-42"]},"status":["COMPLETE"]}`, true},
		{`{"meta":{"video":["v-42"]},"status":["ERROR"]}`, false},
		{`{"status":{"nested":["x"]}}`, false},
	}
	for _, tt := range tests {
		p, err := compilePattern(tt.pattern)
		if err != nil {
			t.Errorf("compile %s: %v", tt.pattern, err)
			continue
		}
		if got := p.match(d); got != tt.want {
			t.Errorf("%s matched %v, want %v", tt.pattern, got, tt.want)
		}
	}
}

func TestPatternRejectsUnsupported(t *testing.T) {
	for _, src := range []string{
		``, `[]`, `"x"`, `{"a":1}`, `{"a":[]}`, `{"a":[[1]]}`, `{"a":[{"prefix":1}]}`, `{"a":[{"prefix":"x","suffix":"y"}]}`,
		`{"a":[{"numeric":[">"]}]}`, `{"a":[{"numeric":["!",1]}]}`, `{"a":[{"exists":"yes"}]}`, `{"a":[{"cidr":"10.0.0.0/24"}]}`,
		`{"a":[{"anything-but":{"suffix":"x"}}]}`, `{} {}`,
	} {
		if _, err := compilePattern(src); err == nil {
			t.Errorf("compilePattern(%q) accepted", src)
		}
	}
}

// FuzzPattern compiles arbitrary patterns and matches them against
// arbitrary details: neither may panic.
func FuzzPattern(f *testing.F) {
	f.Add(`{"status":["COMPLETE"],"meta":{"v":[{"prefix":"v-"}]}}`, `{"detail":{"status":"COMPLETE","meta":{"v":"v-1"}}}`)
	f.Add(`{"n":[{"numeric":[">=",1,"<",2]}]}`, `{"detail":{"n":[1,2,{"x":1}]}}`)
	f.Add(`{"a":[{"anything-but":[1,"x",null]}]}`, `{"detail":{"a":null}}`)
	f.Fuzz(func(t *testing.T, pattern, payload string) {
		p, err := compilePattern(pattern)
		if err != nil {
			return
		}
		if d := decodeDetail([]byte(payload)); d != nil {
			p.match(d)
		}
	})
}
