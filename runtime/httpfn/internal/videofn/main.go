// Command videofn serves package videoapi's API with package httpfn, run by the package's
// tests under the Lambda runtime emulator and under a Runtime API server of their own.
//
// VIDEOFN_STREAM=1 answers in Lambda's streaming response mode (Options.Stream).
package main

import (
	"os"

	"github.com/servous/servous/runtime/httpfn"
	"github.com/servous/servous/runtime/httpfn/internal/videoapi"
)

func main() {
	httpfn.Start(videoapi.Routes(), &httpfn.Options{Stream: os.Getenv("VIDEOFN_STREAM") == "1"})
}
