//go:build !linux

package runtimetest

import "errors"

func killChildren(int) (int, error) { return 0, errors.ErrUnsupported }
