package runtime

import "fmt"

// PanicError is the error a recovered panic becomes. Through aws-lambda-go, Lambda reports it
// with errorType "PanicError" and errorMessage "panic: " followed by the panic's value.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the panicking goroutine's stack, as runtime/debug.Stack formats it.
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic's value when it is an error, so errors.Is and errors.As reach it.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
