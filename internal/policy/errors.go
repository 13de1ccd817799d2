package policy

import "strings"

// FieldError is one broken rule.
type FieldError struct {
	// Field is the JSON path of the offending value, e.g.
	// "targets[2].service"; empty for the document as a whole.
	Field string
	// Rule says what the value must be.
	Rule string
}

func (e FieldError) String() string {
	if e.Field == "" {
		return e.Rule
	}
	return e.Field + ": " + e.Rule
}

// ValidationError lists every rule a policy breaks. The handlers report it
// to Step Functions as an invalid input.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.String()
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// errs collects field errors; err returns nil when there are none.
type errs []FieldError

func (e *errs) add(field, rule string) {
	*e = append(*e, FieldError{Field: field, Rule: rule})
}

func (e errs) err() error {
	if len(e) == 0 {
		return nil
	}
	return &ValidationError{Errors: e}
}
