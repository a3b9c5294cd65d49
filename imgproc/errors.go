package imgproc

import "fmt"

// OSS error codes produced by this package. NoSuchStyle belongs to the
// caller, which resolves styles.
const (
	CodeInvalidArgument = "InvalidArgument"
	CodeBadRequest      = "BadRequest"
	CodeMissingArgument = "MissingArgument"
	CodeImageTooLarge   = "ImageTooLarge"
	CodeWatermarkError  = "WatermarkError"
	CodeNotImplemented  = "NotImplemented"
)

// msgNotBase64 is the exact OSS message for a parameter that is not valid
// URL-safe base64.
const msgNotBase64 = "Input is not base64 decoding."

// Error is a client-visible processing error. Code is exactly the OSS error
// code; Message says which action and parameter were at fault and what is
// allowed. Errors that are not *Error (context cancellation, encoder
// failures) are internal.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidf(format string, args ...any) *Error {
	return errf(CodeInvalidArgument, format, args...)
}
