package metrics

import (
	"encoding/json"
	"math"
)

// Float is a float64 that may be undefined. Undefined values are NaN in Go
// and null in JSON (JSON has no NaN); infinities are also written as null.
// Decoding null yields NaN.
type Float float64

// Undefined is the undefined Float (NaN).
var Undefined = Float(math.NaN())

// Defined reports whether f holds a finite number.
func (f Float) Defined() bool {
	v := float64(f)
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

// MarshalJSON writes f as a JSON number, or null when f is not finite.
func (f Float) MarshalJSON() ([]byte, error) {
	if !f.Defined() {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// UnmarshalJSON reads a JSON number, or null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Undefined
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Float(v)
	return nil
}
