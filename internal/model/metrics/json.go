package metrics

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes r to w as indented metrics.json, ending with a newline.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing metrics JSON: %w", err)
	}
	return nil
}

// ReadReport reads a Report from metrics.json; null values become NaN.
func ReadReport(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("reading metrics JSON: %w", err)
	}
	return &r, nil
}
