// Package readme holds the test that compiles the Go examples of the module's README.md, so that
// they compile as pasted. It has no API.
//
// Every ```go block of README.md is compiled, in a module of its own that requires servous as a
// user's module would. A block is one of:
//
//   - a whole file, when it has a package clause: compiled as it is. Consecutive whole files of
//     one package make one package, each file named by a first-line comment ("// main.go",
//     "// videos_test.go"), so an example may show a handler, its main and its test;
//   - a fragment: top-level func and type declarations, kept as they are, and statements, which
//     become the body of one function, in the order written. Imports are added for the package
//     names the block uses (servous's packages by their names, the standard library's and the
//     AWS SDK's and aws-lambda-go's that the README uses); variables a fragment declares may go
//     unused.
//
// A fragment that uses names the surrounding code would give it says so in an HTML comment on the
// line before the block, which a reader of the rendered README does not see. The names become
// the parameters of the function holding the statements:
//
//	<!-- go: given ctx context.Context, cfg aws.Config -->
//
// `<!-- go: skip -->` before a block leaves it out; use it only for what cannot compile
// (pseudo-code), and say why in the README's text.
//
// Compiler and vet messages point at README.md's lines.
package readme
