package settings

import (
	"errors"
	"testing"
)

func TestParseMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want MemoryLimitSpec
		bad  bool
	}{
		{in: "90%", want: MemoryLimitSpec{Percent: 90}},
		{in: "12.5%", want: MemoryLimitSpec{Percent: 12.5}},
		{in: "100%", want: MemoryLimitSpec{Percent: 100}},
		{in: "off"},
		{in: "224MiB", want: MemoryLimitSpec{Bytes: 224 << 20}},
		{in: "1GiB", want: MemoryLimitSpec{Bytes: 1 << 30}},
		{in: "2TiB", want: MemoryLimitSpec{Bytes: 2 << 40}},
		{in: "4096KiB", want: MemoryLimitSpec{Bytes: 4 << 20}},
		{in: "1000B", want: MemoryLimitSpec{Bytes: 1000}},
		{in: "123456", want: MemoryLimitSpec{Bytes: 123456}},
		{in: "0%", bad: true},
		{in: "101%", bad: true},
		{in: "x%", bad: true},
		{in: "0", bad: true},
		{in: "-5MiB", bad: true},
		{in: "224MB", bad: true},
		{in: "9000000TiB", bad: true},
		{in: "", bad: true},
	} {
		got, err := ParseMemoryLimit(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: no error, got %+v", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestMemoryLimitFromGOMEMLIMIT: GOMEMLIMIT is an alias of the setting,
// after TWEETFLOW_MEMORY_LIMIT; a bad value names its variable.
func TestMemoryLimitFromGOMEMLIMIT(t *testing.T) {
	s, err := Resolve(nil, Map(map[string]string{"GOMEMLIMIT": "300MiB"}), []*Setting{MemoryLimit})
	if err != nil || s.MemoryLimit != (MemoryLimitSpec{Bytes: 300 << 20}) {
		t.Errorf("GOMEMLIMIT: %+v, %v", s.MemoryLimit, err)
	}
	s, err = Resolve(nil, Map(map[string]string{"GOMEMLIMIT": "300MiB", "TWEETFLOW_MEMORY_LIMIT": "50%"}), []*Setting{MemoryLimit})
	if err != nil || s.MemoryLimit != (MemoryLimitSpec{Percent: 50}) {
		t.Errorf("both: %+v, %v", s.MemoryLimit, err)
	}
	s, err = Resolve(nil, nil, []*Setting{MemoryLimit})
	if err != nil || s.MemoryLimit != (MemoryLimitSpec{Percent: 90}) {
		t.Errorf("default: %+v, %v", s.MemoryLimit, err)
	}
	_, err = Resolve(nil, Map(map[string]string{"GOMEMLIMIT": "lots"}), []*Setting{MemoryLimit})
	var se *Error
	if !errors.As(err, &se) || se.Source != "GOMEMLIMIT" {
		t.Errorf("bad GOMEMLIMIT: %v", err)
	}
}
