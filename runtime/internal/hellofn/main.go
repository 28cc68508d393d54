// Command hellofn is aws-lambda-go's hello world, the baseline the example function built
// with package runtime is measured against.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Name string `json:"name"`
}

func main() {
	lambda.Start(func(ctx context.Context, req request) (string, error) {
		return "hello, " + req.Name, nil
	})
}
