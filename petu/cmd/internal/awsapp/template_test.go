package awsapp_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/servous/servous/petu"
	"github.com/servous/servous/table"
)

// templatePath is petu's deployment template, which sets the variables this package reads.
const templatePath = "../../../template.yaml"

// loadTemplate reads template.yaml into plain maps and slices, with CloudFormation's short
// forms turned into their long ones (!Ref x → {"Ref": x}, !GetAtt → {"Fn::GetAtt": …}).
func loadTemplate(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	return plain(doc.Content[0]).(map[string]any)
}

func plain(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			s = append(s, plain(c))
		}
		v = s
	default:
		v = n.Value
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := "Fn::" + n.Tag[1:]
		if n.Tag == "!Ref" {
			name = "Ref"
		}
		return map[string]any{name: v}
	}
	return v
}

func lookup(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// functions maps each Lambda function's code path to its resource in the template.
func templateFunctions(t *testing.T, tpl map[string]any) map[string]map[string]any {
	fns := map[string]map[string]any{}
	for _, r := range lookup(tpl, "Resources").(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == "AWS::Serverless::Function" {
			fns[lookup(r, "Properties", "CodeUri").(string)] = r
		}
	}
	return fns
}

// TestTemplateFunctionsBuild builds every function the template names, as Lambda runs them.
func TestTemplateFunctionsBuild(t *testing.T) {
	tpl := loadTemplate(t)
	fns := templateFunctions(t, tpl)
	want := []string{"cmd/api", "cmd/on-transcoded", "cmd/on-upload"}
	var got []string
	for dir := range fns {
		got = append(got, dir)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("template functions %v, want %v", got, want)
	}
	if r := lookup(tpl, "Globals", "Function", "Runtime"); r != "provided.al2023" {
		t.Errorf("runtime %v, want provided.al2023", r)
	}
	out := t.TempDir()
	args := []string{"build", "-tags", "lambda.norpc", "-o", out + "/"}
	for _, dir := range got {
		args = append(args, "github.com/servous/servous/petu/"+dir)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	for _, dir := range got {
		if _, err := os.Stat(filepath.Join(out, filepath.Base(dir))); err != nil {
			t.Errorf("%s did not build a binary: %v", dir, err)
		}
	}
}

// envVars returns the environment variables awsapp reads: its Env… constants.
func envVars(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "awsapp.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Env") {
			return true
		}
		if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
			v, _ := strconv.Unquote(lit.Value)
			vars[vs.Names[0].Name] = v
		}
		return true
	})
	if len(vars) == 0 {
		t.Fatal("no Env constants found in awsapp.go")
	}
	return vars
}

// TestTemplateSetsWhatTheCodeReads checks that every variable the functions read is set, and
// that each names a resource of the right kind declared in the template.
func TestTemplateSetsWhatTheCodeReads(t *testing.T) {
	tpl := loadTemplate(t)
	resources := lookup(tpl, "Resources").(map[string]any)
	global, _ := lookup(tpl, "Globals", "Function", "Environment", "Variables").(map[string]any)
	for dir, fn := range templateFunctions(t, tpl) {
		env := map[string]any{}
		for k, v := range global {
			env[k] = v
		}
		if own, ok := lookup(fn, "Properties", "Environment", "Variables").(map[string]any); ok {
			for k, v := range own {
				env[k] = v
			}
		}
		for name, v := range envVars(t) {
			if _, ok := env[v]; !ok {
				t.Errorf("%s: %s (awsapp.%s) is not set", dir, v, name)
			}
		}
		// refType is the type of the resource a variable names: by Ref or GetAtt, or by the
		// name a resource declares for itself with the same Sub.
		refType := func(v string) string {
			ref, _ := lookup(env[v], "Ref").(string)
			if ref == "" {
				if ga, ok := lookup(env[v], "Fn::GetAtt").(string); ok {
					ref, _, _ = strings.Cut(ga, ".")
				}
			}
			if sub, ok := lookup(env[v], "Fn::Sub").(string); ok {
				for id, r := range resources {
					if lookup(r, "Properties", "BucketName", "Fn::Sub") == sub {
						ref = id
					}
				}
			}
			typ, _ := lookup(resources[ref], "Type").(string)
			return typ
		}
		for v, typ := range map[string]string{
			"UPLOADS_BUCKET":        "AWS::S3::Bucket",
			"MEDIA_BUCKET":          "AWS::S3::Bucket",
			"VIDEOS_TABLE":          "AWS::DynamoDB::Table",
			"IDENTITY_POOL_ID":      "AWS::Cognito::IdentityPool",
			"MEDIACONVERT_ROLE_ARN": "AWS::IAM::Role",
		} {
			if got := refType(v); got != typ {
				t.Errorf("%s: %s refers to a %q, want a declared %s", dir, v, got, typ)
			}
		}
	}

	// The table's keys and time to live are the ones petu.Video declares.
	schema, err := table.SchemaOf[petu.Video]()
	if err != nil {
		t.Fatal(err)
	}
	videos := lookup(resources, "VideosTable", "Properties")
	keys := map[string]string{}
	for _, k := range lookup(videos, "KeySchema").([]any) {
		keys[lookup(k, "KeyType").(string)] = lookup(k, "AttributeName").(string)
	}
	if keys["HASH"] != schema.PartitionKey || keys["RANGE"] != schema.SortKey {
		t.Errorf("VideosTable keys %v, want HASH %s, RANGE %s", keys, schema.PartitionKey, schema.SortKey)
	}
	if ttl := lookup(videos, "TimeToLiveSpecification", "AttributeName"); ttl != schema.ExpiresAt {
		t.Errorf("VideosTable time to live on %v, want %s", ttl, schema.ExpiresAt)
	}
	providers := lookup(resources, "IdentityPool", "Properties", "SupportedLoginProviders").(map[string]any)
	if _, ok := providers[global["LOGIN_PROVIDER"].(string)]; !ok {
		t.Errorf("the identity pool does not trust LOGIN_PROVIDER %v", global["LOGIN_PROVIDER"])
	}
}

// calls are the AWS actions each function's code makes, including paths TestStack does not
// take (it checks the calls it sees against the template too): the API lists, reads and deletes
// records and objects and cancels jobs; on-upload checks the upload is there (HeadObject needs
// s3:GetObject), writes records, creates jobs as the MediaConvert role and cancels the job of an
// upload that a later upload of the same key replaced; on-transcoded updates records and removes
// redundant or orphaned renditions.
var calls = map[string][]string{
	"cmd/api": {
		"dynamodb:GetItem", "dynamodb:Query", "dynamodb:DeleteItem",
		"s3:ListBucket", "s3:GetObject", "s3:DeleteObject", "mediaconvert:CancelJob",
	},
	"cmd/on-upload": {
		"s3:GetObject", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
		"mediaconvert:CreateJob", "mediaconvert:CancelJob", "iam:PassRole",
	},
	"cmd/on-transcoded": {
		"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
		"s3:ListBucket", "s3:DeleteObject",
	},
}

// TestTemplatePolicies checks that each function's policy allows the calls it makes, and no
// wildcard actions.
func TestTemplatePolicies(t *testing.T) {
	tpl := loadTemplate(t)
	for dir, fn := range templateFunctions(t, tpl) {
		allowed := allowedActions(fn)
		for a := range allowed {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %s", dir, a)
			}
		}
		for _, a := range calls[dir] {
			if !allowed[a] {
				t.Errorf("%s: policy does not allow %s", dir, a)
			}
		}
	}
	// The signed-in user's role uploads under its own identity's prefix and nowhere else.
	role := lookup(tpl, "Resources", "AuthenticatedRole", "Properties", "Policies").([]any)
	st := lookup(role[0], "PolicyDocument", "Statement").([]any)
	if len(st) != 1 || lookup(st[0], "Action") != "s3:PutObject" ||
		!strings.HasSuffix(lookup(st[0], "Resource", "Fn::Sub").(string), "/uploads/${!cognito-identity.amazonaws.com:sub}/*") {
		t.Errorf("authenticated role policy %v, want only s3:PutObject under uploads/${cognito-identity.amazonaws.com:sub}/", st)
	}
}

// allowedActions lists the actions a function's policies in the template allow.
func allowedActions(fn map[string]any) map[string]bool {
	allowed := map[string]bool{}
	policies, _ := lookup(fn, "Properties", "Policies").([]any)
	for _, p := range policies {
		statements, _ := lookup(p, "Statement").([]any)
		for _, st := range statements {
			switch a := lookup(st, "Action").(type) {
			case string:
				allowed[a] = true
			case []any:
				for _, a := range a {
					allowed[a.(string)] = true
				}
			}
		}
	}
	return allowed
}

// subRefRE finds the resources a Fn::Sub string names: ${Name} or ${Name.Attribute}, but not
// ${AWS::…} pseudo parameters or ${!…} literals.
var subRefRE = regexp.MustCompile(`\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}`)

// refs collects the logical ids v refers to.
func refs(v any, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch k {
			case "Ref":
				if s, ok := x.(string); ok {
					into[s] = true
				}
			case "Fn::GetAtt":
				if s, ok := x.(string); ok {
					id, _, _ := strings.Cut(s, ".")
					into[id] = true
				}
			case "Fn::Sub":
				if s, ok := x.(string); ok {
					for _, m := range subRefRE.FindAllStringSubmatch(s, -1) {
						into[m[1]] = true
					}
				}
			}
			refs(x, into)
		}
	case []any:
		for _, x := range v {
			refs(x, into)
		}
	}
}

// TestTemplateHasNoCycle checks that CloudFormation can order the resources: no resource may
// depend on itself through references, including the dependencies SAM adds — a function gets
// the Globals, and a bucket that notifies a function depends on that function.
func TestTemplateHasNoCycle(t *testing.T) {
	tpl := loadTemplate(t)
	resources := lookup(tpl, "Resources").(map[string]any)
	deps := map[string]map[string]bool{}
	for id, r := range resources {
		deps[id] = map[string]bool{}
		if lookup(r, "Type") != "AWS::Serverless::Function" {
			refs(r, deps[id])
			continue
		}
		for k, v := range r.(map[string]any) {
			if k != "Properties" {
				refs(v, deps[id])
			}
		}
		for k, v := range lookup(r, "Properties").(map[string]any) {
			if k != "Events" {
				refs(v, deps[id])
			}
		}
		refs(lookup(tpl, "Globals", "Function"), deps[id])
	}
	// An event source depends on its function: a bucket's notification names it.
	for id, r := range resources {
		events, _ := lookup(r, "Properties", "Events").(map[string]any)
		for _, e := range events {
			if bucket, ok := lookup(e, "Properties", "Bucket", "Ref").(string); ok && lookup(e, "Type") == "S3" {
				deps[bucket][id] = true
			}
		}
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var visit func(id string, path []string)
	visit = func(id string, path []string) {
		if _, ok := resources[id]; !ok {
			return // a parameter or pseudo parameter
		}
		switch state[id] {
		case visiting:
			t.Errorf("dependency cycle: %s", strings.Join(append(path, id), " → "))
			return
		case done:
			return
		}
		state[id] = visiting
		for _, d := range slices.Sorted(maps.Keys(deps[id])) {
			if d != id {
				visit(d, append(path, id))
			}
		}
		state[id] = done
	}
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		visit(id, nil)
	}
}

// TestTemplateServesTheSiteOverHTTPS checks that the site is served over HTTPS, which Google's
// sign-in requires, by a CloudFront distribution in front of the site bucket's website, and
// that the CORS rules of the buckets and the API admit that origin, the one SiteURL names.
func TestTemplateServesTheSiteOverHTTPS(t *testing.T) {
	tpl := loadTemplate(t)
	dist := lookup(tpl, "Resources", "SiteDistribution")
	if lookup(dist, "Type") != "AWS::CloudFront::Distribution" {
		t.Fatalf("SiteDistribution = %v, want an AWS::CloudFront::Distribution", dist)
	}
	cfg := lookup(dist, "Properties", "DistributionConfig")
	origins, _ := lookup(cfg, "Origins").([]any)
	if len(origins) != 1 {
		t.Fatalf("origins %v, want the site bucket's website alone", origins)
	}
	from := map[string]bool{}
	refs(lookup(origins[0], "DomainName"), from)
	if !from["SiteBucket"] || lookup(origins[0], "CustomOriginConfig", "OriginProtocolPolicy") != "http-only" {
		t.Errorf("origin %v, want the site bucket's website endpoint over HTTP, all it serves", origins[0])
	}
	behaviors := []any{lookup(cfg, "DefaultCacheBehavior")}
	more, _ := lookup(cfg, "CacheBehaviors").([]any)
	for _, b := range append(behaviors, more...) {
		if lookup(b, "ViewerProtocolPolicy") != "redirect-to-https" || lookup(b, "TargetOriginId") != lookup(origins[0], "Id") {
			t.Errorf("cache behavior %v, want HTTPS to the site origin", b)
		}
	}

	const origin = "https://${SiteDistribution.DomainName}"
	if got := lookup(tpl, "Outputs", "SiteURL", "Value", "Fn::Sub"); got != origin {
		t.Errorf("SiteURL = %v, want %s", got, origin)
	}
	for what, list := range map[string]any{
		"UploadsBucket": lookup(tpl, "Resources", "UploadsBucket", "Properties", "CorsConfiguration", "CorsRules"),
		"MediaBucket":   lookup(tpl, "Resources", "MediaBucket", "Properties", "CorsConfiguration", "CorsRules"),
		"ApiFunction":   []any{lookup(tpl, "Resources", "ApiFunction", "Properties", "FunctionUrlConfig", "Cors")},
	} {
		rules, _ := list.([]any)
		if len(rules) == 0 {
			t.Errorf("%s has no CORS rules", what)
		}
		for _, r := range rules {
			allowed := lookup(r, "AllowedOrigins")
			if allowed == nil {
				allowed = lookup(r, "AllowOrigins")
			}
			if as, _ := allowed.([]any); len(as) != 1 || lookup(as[0], "Fn::Sub") != origin {
				t.Errorf("%s CORS origins %v, want %s alone", what, allowed, origin)
			}
		}
	}
}

// TestTemplateSecurityHeaders checks that every page CloudFront serves carries the browser
// security headers petu's local server sends, with the site's Content Security Policy for the
// stack's own API and buckets.
func TestTemplateSecurityHeaders(t *testing.T) {
	tpl := loadTemplate(t)
	policy := lookup(tpl, "Resources", "SiteHeaders")
	if lookup(policy, "Type") != "AWS::CloudFront::ResponseHeadersPolicy" {
		t.Fatalf("SiteHeaders = %v, want an AWS::CloudFront::ResponseHeadersPolicy", policy)
	}
	cfg := lookup(tpl, "Resources", "SiteDistribution", "Properties", "DistributionConfig")
	behaviors := []any{lookup(cfg, "DefaultCacheBehavior")}
	more, _ := lookup(cfg, "CacheBehaviors").([]any)
	for _, b := range append(behaviors, more...) {
		if id := lookup(b, "ResponseHeadersPolicyId", "Ref"); id != "SiteHeaders" {
			t.Errorf("cache behavior %v has response headers policy %v, want SiteHeaders", lookup(b, "PathPattern"), id)
		}
	}

	sec := lookup(policy, "Properties", "ResponseHeadersPolicyConfig", "SecurityHeadersConfig")
	bucketHost := func(resource string) string {
		name, _ := lookup(tpl, "Resources", resource, "Properties", "BucketName", "Fn::Sub").(string)
		if name == "" {
			t.Fatalf("%s has no BucketName for the policy to name", resource)
		}
		return "https://" + name + ".s3.${AWS::Region}.${AWS::URLSuffix}"
	}
	want := petu.ContentSecurityPolicy(petu.SiteSources{
		API:     "https://*.lambda-url.${AWS::Region}.on.aws",
		Uploads: bucketHost("UploadsBucket"),
		Media:   bucketHost("MediaBucket"),
		Google:  true,
	})
	if got := lookup(sec, "ContentSecurityPolicy", "ContentSecurityPolicy", "Fn::Sub"); got != want {
		t.Errorf("Content-Security-Policy:\n%v\nwant\n%s", got, want)
	}
	for _, path := range [][]string{
		{"ContentSecurityPolicy", "Override"},
		{"ContentTypeOptions", "Override"},
		{"FrameOptions", "Override"},
		{"ReferrerPolicy", "Override"},
	} {
		if v := lookup(sec, path...); v != "true" {
			t.Errorf("%s = %v, want true: the site's headers win over the bucket's", strings.Join(path, "."), v)
		}
	}
	if v := lookup(sec, "FrameOptions", "FrameOption"); v != "DENY" {
		t.Errorf("X-Frame-Options %v, want DENY", v)
	}
	if v := lookup(sec, "ReferrerPolicy", "ReferrerPolicy"); v != petu.ReferrerPolicy {
		t.Errorf("Referrer-Policy %v, want %s", v, petu.ReferrerPolicy)
	}
}
