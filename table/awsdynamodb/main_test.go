package awsdynamodb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/servous/servous/table/tabletest"
)

// dynalite serves every test and example of the package.
var dynalite *tabletest.Dynalite

func TestMain(m *testing.M) {
	d, err := tabletest.LaunchDynalite(context.Background())
	if err != nil {
		if errors.Is(err, tabletest.ErrNoDynalite) && os.Getenv("SERVOUS_REQUIRE_PEERS") != "1" {
			fmt.Println("skipping awsdynamodb tests:", err)
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "awsdynamodb tests:", err)
		os.Exit(1)
	}
	dynalite = d
	code := m.Run()
	d.Close()
	os.Exit(code)
}
