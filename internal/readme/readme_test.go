package readme

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestExamplesCompile compiles and vets every Go block of README.md.
func TestExamplesCompile(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := goBlocks(string(md))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```go blocks")
	}
	names, err := modulePackages(root)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := writeModule(dir, root); err != nil {
		t.Fatal(err)
	}
	compiled := 0
	var pkgDir, prevPkg string
	for i, b := range blocks {
		if b.skip {
			prevPkg = ""
			continue
		}
		src, err := b.source(filepath.Join(root, "README.md"), names)
		if err != nil {
			t.Errorf("README.md:%d: %v", b.line, err)
			continue
		}
		// Consecutive whole files of one package are one package, as a reader pastes them.
		pkg := packageName(b.code)
		if pkg == "" || pkg != prevPkg {
			pkgDir = filepath.Join(dir, fmt.Sprintf("block%02d", i+1))
			if err := os.Mkdir(pkgDir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		prevPkg = pkg
		name := fileName(b.code)
		if name == "" {
			name = fmt.Sprintf("block%02d.go", i+1)
		}
		f, err := os.OpenFile(filepath.Join(pkgDir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			t.Errorf("README.md:%d: two files of package %s named %s", b.line, pkg, name)
			continue
		}
		_, err = f.Write(src)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		compiled++
	}
	if compiled == 0 {
		t.Fatal("every Go block of README.md is skipped")
	}

	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	// The module requires what servous requires; -mod=mod lets the go command complete its go.sum.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("README.md's examples do not compile as pasted (go vet: %v):\n%s\n"+
			"A fragment that uses names from the surrounding code lists them on the line before its block: "+
			"<!-- go: given ctx context.Context, … -->; see the package doc.", err, out)
	}
}

// writeModule writes a go.mod in dir for a module that requires servous at root, with the
// requirements and checksums servous has, as a user's module has after go get.
func writeModule(dir, root string) error {
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return err
	}
	lines := strings.Split(string(mod), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "module ") {
			lines[i] = "module example.com/readme"
		}
	}
	lines = append(lines,
		"require github.com/servous/servous v0.0.0",
		"replace github.com/servous/servous => "+root,
	)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
}

// block is one ```go block of a Markdown file.
type block struct {
	line  int    // line of the block's first line of code, from 1
	code  string // the lines between the fences
	given string // parameters from a "go: given" comment
	skip  bool
}

var directive = regexp.MustCompile(`^<!--\s*go:\s*(.*?)\s*-->$`)

// goBlocks returns the ```go blocks of the Markdown text md.
func goBlocks(md string) ([]block, error) {
	var blocks []block
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(fence, "```") {
			continue
		}
		start := i + 1
		end := start
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("line %d: code block not closed", i+1)
		}
		if strings.TrimSpace(strings.TrimPrefix(fence, "```")) == "go" {
			b := block{line: start + 1, code: strings.Join(lines[start:end], "\n")}
			if err := b.directive(lines[:i]); err != nil {
				return nil, fmt.Errorf("line %d: %v", i+1, err)
			}
			blocks = append(blocks, b)
		}
		i = end
	}
	return blocks, nil
}

// directive reads the "<!-- go: … -->" comment, if any, on the last non-blank line of before.
func (b *block) directive(before []string) error {
	j := len(before) - 1
	for j >= 0 && strings.TrimSpace(before[j]) == "" {
		j--
	}
	if j < 0 {
		return nil
	}
	m := directive.FindStringSubmatch(strings.TrimSpace(before[j]))
	if m == nil {
		return nil
	}
	switch verb, rest, _ := strings.Cut(m[1], " "); verb {
	case "given":
		b.given = strings.TrimSpace(rest)
	case "skip":
		b.skip = true
	default:
		return fmt.Errorf("unknown directive %q; want \"go: given <parameters>\" or \"go: skip\"", m[0])
	}
	return nil
}

// exampleFunc names the function that holds a fragment's statements.
const exampleFunc = "readmeExample"

// source returns the block as a Go file whose positions are the block's lines in file.
func (b *block) source(file string, names map[string]string) ([]byte, error) {
	if packageName(b.code) != "" {
		return []byte(fmt.Sprintf("//line %s:%d\n%s\n", file, b.line, b.code)), nil
	}
	decls, stmts := split(b.code)
	var body bytes.Buffer
	for _, c := range decls {
		fmt.Fprintf(&body, "\n//line %s:%d\n%s\n", file, b.line+c.first, c.text)
	}
	if len(stmts) > 0 {
		fmt.Fprintf(&body, "\nfunc %s(%s) {\n", exampleFunc, b.given)
		for _, c := range stmts {
			fmt.Fprintf(&body, "//line %s:%d\n%s\n", file, b.line+c.first, c.text)
		}
		body.WriteString("}\n")
	}

	// Parse once to learn the package names the block uses and the variables it declares.
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, "package p\n"+body.String(), 0)
	if err != nil {
		return nil, err
	}
	pkgName := "readme"
	var unused []string
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil {
			continue
		}
		switch fd.Name.Name {
		case "main":
			pkgName = "main"
		case exampleFunc:
			unused = declared(fd.Body.List)
		}
	}

	var out bytes.Buffer
	fmt.Fprintf(&out, "package %s\n\nimport (\n", pkgName)
	for _, name := range usedPackages(f) {
		p, ok := names[name]
		if !ok {
			continue // reported by the compiler as undefined
		}
		if path.Base(p) == name {
			fmt.Fprintf(&out, "\t%q\n", p)
		} else {
			fmt.Fprintf(&out, "\t%s %q\n", name, p)
		}
	}
	out.WriteString(")\n")
	src := body.String()
	if len(unused) > 0 {
		// The fragment's variables are the reader's to use further on.
		i := strings.LastIndex(src, "}")
		src = src[:i] + blanks(unused) + "\n" + src[i:]
	}
	out.WriteString(src)
	return out.Bytes(), nil
}

// blanks returns statements assigning each name to the blank identifier, one line.
func blanks(names []string) string {
	var s []string
	for _, n := range names {
		s = append(s, "_ = "+n)
	}
	return strings.Join(s, "; ")
}

// declared returns the variables declared by the top-level statements stmts.
func declared(stmts []ast.Stmt) []string {
	var names []string
	add := func(id *ast.Ident) {
		if id.Name != "_" && !slices.Contains(names, id.Name) {
			names = append(names, id.Name)
		}
	}
	for _, s := range stmts {
		switch s := s.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				for _, e := range s.Lhs {
					if id, ok := e.(*ast.Ident); ok {
						add(id)
					}
				}
			}
		case *ast.DeclStmt:
			if g, ok := s.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, spec := range g.Specs {
					for _, id := range spec.(*ast.ValueSpec).Names {
						add(id)
					}
				}
			}
		}
	}
	return names
}

// usedPackages returns the names f uses as the left of a selector without declaring them.
func usedPackages(f *ast.File) []string {
	unresolved := map[*ast.Ident]bool{}
	for _, id := range f.Unresolved {
		unresolved[id] = true
	}
	seen := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && unresolved[id] {
				seen[id.Name] = true
			}
		}
		return true
	})
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// packageName returns the name in code's package clause, or "" for a fragment.
func packageName(code string) string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(code)), []byte(code), nil, 0)
	if _, tok, _ := s.Scan(); tok != token.PACKAGE {
		return ""
	}
	_, tok, lit := s.Scan()
	if tok != token.IDENT {
		return ""
	}
	return lit
}

var fileComment = regexp.MustCompile(`^//\s*([\w.-]+\.go)\b`)

// fileName returns the file a whole-file block names in its first line ("// main.go"), or "".
func fileName(code string) string {
	first, _, _ := strings.Cut(code, "\n")
	if m := fileComment.FindStringSubmatch(strings.TrimSpace(first)); m != nil {
		return m[1]
	}
	return ""
}

// chunk is a run of a block's lines.
type chunk struct {
	first int // index of its first line in the block
	text  string
}

// split separates a fragment's top-level func and type declarations from its statements. A
// declaration starts with "func" or "type" outside any bracket and ends on the line where the
// brackets it opened close.
func split(code string) (decls, stmts []chunk) {
	lines := strings.Split(code, "\n")
	first := make([]token.Token, len(lines)) // first token on each line
	endDepth := make([]int, len(lines))      // bracket depth after each line
	hasTokens := make([]bool, len(lines))
	var s scanner.Scanner
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(code))
	s.Init(file, []byte(code), func(token.Position, string) {}, 0)
	depth := 0
	for {
		pos, tok, _ := s.Scan()
		if tok == token.EOF {
			break
		}
		l := file.Line(pos) - 1
		if tok == token.SEMICOLON && !hasTokens[l] {
			continue // an automatic semicolon belongs to the line before
		}
		if !hasTokens[l] {
			first[l], hasTokens[l] = tok, true
		}
		switch tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		endDepth[l] = depth
	}
	for i := range lines {
		if !hasTokens[i] && i > 0 {
			endDepth[i] = endDepth[i-1]
		}
	}

	startDepth := func(i int) int {
		if i == 0 {
			return 0
		}
		return endDepth[i-1]
	}
	var run []string
	runStart := 0
	flush := func() {
		if len(run) > 0 {
			stmts = append(stmts, chunk{runStart, strings.Join(run, "\n")})
			run = nil
		}
	}
	for i := 0; i < len(lines); i++ {
		if startDepth(i) == 0 && hasTokens[i] && (first[i] == token.FUNC || first[i] == token.TYPE) {
			flush()
			j := i
			for j < len(lines)-1 && endDepth[j] != 0 {
				j++
			}
			decls = append(decls, chunk{i, strings.Join(lines[i:j+1], "\n")})
			i = j
			continue
		}
		if len(run) == 0 {
			runStart = i
		}
		run = append(run, lines[i])
	}
	flush()
	return decls, stmts
}

// modulePackages maps the package names a README example may use to their import paths:
// servous's packages outside internal/ and cmd/ directories, and the standard library's and
// other modules' packages the README shows.
func modulePackages(root string) (map[string]string, error) {
	names := map[string]string{
		"bytes":           "bytes",
		"context":         "context",
		"errors":          "errors",
		"fmt":             "fmt",
		"http":            "net/http",
		"httptest":        "net/http/httptest",
		"io":              "io",
		"json":            "encoding/json",
		"log":             "log",
		"os":              "os",
		"slog":            "log/slog",
		"strings":         "strings",
		"sync":            "sync",
		"testing":         "testing",
		"time":            "time",
		"aws":             "github.com/aws/aws-sdk-go-v2/aws",
		"config":          "github.com/aws/aws-sdk-go-v2/config",
		"s3":              "github.com/aws/aws-sdk-go-v2/service/s3",
		"dynamodb":        "github.com/aws/aws-sdk-go-v2/service/dynamodb",
		"cognitoidentity": "github.com/aws/aws-sdk-go-v2/service/cognitoidentity",
		"mediaconvert":    "github.com/aws/aws-sdk-go-v2/service/mediaconvert",
		"eventbridge":     "github.com/aws/aws-sdk-go-v2/service/eventbridge",
		"lambda":          "github.com/aws/aws-lambda-go/lambda",
		"lambdacontext":   "github.com/aws/aws-lambda-go/lambdacontext",
		"lambdaevents":    "github.com/aws/aws-lambda-go/events",
	}
	// servous's own packages win over the standard library's of the same name (runtime).
	fset := token.NewFileSet()
	ambiguous := map[string]bool{}
	own := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		base := d.Name()
		if rel != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata" || base == "internal" || base == "cmd") {
			return filepath.SkipDir
		}
		if rel != "." {
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(p, n), nil, parser.PackageClauseOnly)
			if err != nil {
				return err
			}
			name := f.Name.Name
			if name == "main" {
				break
			}
			imp := path.Join("github.com/servous/servous", filepath.ToSlash(rel))
			if prev, ok := own[name]; ok && prev != imp {
				ambiguous[name] = true
			}
			own[name] = imp
			break
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for name, imp := range own {
		if !ambiguous[name] {
			names[name] = imp
		}
	}
	return names, nil
}

// TestSource checks how a fragment becomes a file: declarations kept at the top level, statements
// in one function taking the given parameters, imports for the package names used, the fragment's
// variables used, and lines pointing back at the README.
func TestSource(t *testing.T) {
	md := "text\n\n<!-- go: given ctx context.Context -->\n```go\n" +
		"type Item struct {\n\tKey string\n}\n\n" +
		"b := memstorage.New(\"b\", nil)\n" +
		"info, err := storage.PutBytes(ctx, b, \"k\", []byte(`{}`), nil)\n\n" +
		"func count(items []Item) int { return len(items) }\n" +
		"```\n\n```\nnot go\n```\n"
	blocks, err := goBlocks(md)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 || blocks[0].line != 5 || blocks[0].given != "ctx context.Context" {
		t.Fatalf("blocks = %+v, want one at line 5 given ctx", blocks)
	}
	names := map[string]string{
		"context":    "context",
		"storage":    "github.com/servous/servous/storage",
		"memstorage": "github.com/servous/servous/storage/memstorage",
	}
	src, err := blocks[0].source("README.md", names)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	var imports, funcs []string
	for _, s := range f.Imports {
		imports = append(imports, s.Path.Value)
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			funcs = append(funcs, fd.Name.Name)
			if fd.Name.Name == exampleFunc && len(fd.Body.List) != 5 {
				t.Errorf("%s has %d statements, want the 2 written and _ = b, info, err:\n%s", exampleFunc, len(fd.Body.List), src)
			}
		}
	}
	slices.Sort(imports)
	wantImports := []string{`"context"`, `"github.com/servous/servous/storage"`, `"github.com/servous/servous/storage/memstorage"`}
	if !slices.Equal(imports, wantImports) || !slices.Equal(funcs, []string{"count", exampleFunc}) {
		t.Errorf("imports %v, funcs %v; want %v, [count %s]\n%s", imports, funcs, wantImports, exampleFunc, src)
	}
	// The statement that calls PutBytes is on the README's line 10.
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == exampleFunc {
			if p := fset.Position(fd.Body.List[1].Pos()); p.Filename != "README.md" || p.Line != 10 {
				t.Errorf("PutBytes at %v, want README.md:10", p)
			}
		}
	}
}
