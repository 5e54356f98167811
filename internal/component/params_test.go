package component

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var typedContract = Contract{
	Name:    "typed",
	Summary: "a component with one parameter of every type",
	Params: []Param{
		{Name: "mode", Default: "a", Enum: []string{"a", "b"}, Description: "a string"},
		{Name: "level", Default: "low", Description: "a string decoded by UnmarshalText"},
		{Name: "count", Type: Int, Default: "3", Description: "an int"},
		{Name: "ratio", Type: Float, Default: "0.5", Description: "a float"},
		{Name: "flag", Type: Bool, Default: "false", Description: "a bool"},
		{Name: "wait", Type: Duration, Default: "1m", Description: "a duration"},
		{Name: "names", Type: Strings, Description: "a list"},
		{Name: "text-column", Default: "text", Description: "in a shared group"},
	},
	Outputs: []Artifact{{Name: "out", Kind: Files, Description: "output"}},
}

// level is a parameter value parsed once, by UnmarshalText.
type level int

func (l *level) UnmarshalText(b []byte) error {
	switch string(b) {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return fmt.Errorf("level %q: want low or high", b)
	}
	return nil
}

type mode string

type group struct {
	TextColumn string `param:"text-column"`
}

type typedParams struct {
	group
	Mode  mode          `param:"mode"`
	Level level         `param:"level"`
	Count int           `param:"count"`
	Ratio float64       `param:"ratio"`
	Flag  bool          `param:"flag"`
	Wait  time.Duration `param:"wait"`
	Names []string      `param:"names"`
}

func runTyped(t *testing.T, args ...string) (typedParams, int, string) {
	t.Helper()
	var got typedParams
	run := Typed(func(_ context.Context, _ *Env, p typedParams) error {
		got = p
		return nil
	})
	var out, errb bytes.Buffer
	args = append([]string{"typed", "--store", t.TempDir()}, args...)
	code := RunEnv(context.Background(), typedContract, run, args, func(string) (string, bool) { return "", false }, &out, &errb)
	return got, code, errb.String()
}

func TestTypedDecodesEveryType(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want typedParams
	}{
		{"defaults", nil, typedParams{group: group{TextColumn: "text"}, Mode: "a", Level: 1, Count: 3, Ratio: 0.5, Wait: time.Minute}},
		{"set", []string{"--mode", "b", "--level", "high", "--count", "-7", "--ratio", "2.25", "--flag", "--wait", "90s",
			"--names", "x,y", "--names", "z", "--text-column", "body"},
			typedParams{group: group{TextColumn: "body"}, Mode: "b", Level: 2, Count: -7, Ratio: 2.25, Flag: true, Wait: 90 * time.Second,
				Names: []string{"x", "y", "z"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code, stderr := runTyped(t, tt.args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTypedDecodeErrorNamesTheFlag(t *testing.T) {
	_, code, stderr := runTyped(t, "--level", "medium")
	if code != ExitUsage {
		t.Fatalf("exit %d, want %d (usage): %s", code, ExitUsage, stderr)
	}
	if !strings.Contains(stderr, `--level: level "medium": want low or high`) {
		t.Errorf("stderr %q does not name the flag and the reason", stderr)
	}
}

func TestCheckParams(t *testing.T) {
	if err := CheckParams[typedParams](&typedContract); err != nil {
		t.Fatalf("matching struct: %v", err)
	}
	type missing struct {
		Mode string `param:"mode"`
	}
	type extra struct {
		typedParams
		Other string `param:"other"`
	}
	type twice struct {
		typedParams
		Mode2 string `param:"mode"`
	}
	type wrongType struct {
		group
		Mode  string        `param:"mode"`
		Level string        `param:"level"`
		Count time.Duration `param:"count"`
		Ratio float64       `param:"ratio"`
		Flag  bool          `param:"flag"`
		Wait  time.Duration `param:"wait"`
		Names []string      `param:"names"`
	}
	type untagged struct {
		typedParams
		Loose string
	}
	tests := []struct {
		name  string
		check func(*Contract) error
		want  string
	}{
		{"missing fields", CheckParams[missing], "no field for --level, --count"},
		{"field without param", CheckParams[extra], "tagged --other, which the contract does not declare"},
		{"two fields", CheckParams[twice], "--mode has two fields"},
		{"wrong type", CheckParams[wrongType], "field Count of type time.Duration cannot hold --count, a int parameter"},
		{"untagged", CheckParams[untagged], "field Loose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check(&typedContract)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestTypedMismatchIsARuntimeError(t *testing.T) {
	type missing struct {
		Mode string `param:"mode"`
	}
	run := Typed(func(context.Context, *Env, missing) error { return errors.New("not reached") })
	var out, errb bytes.Buffer
	code := RunEnv(context.Background(), typedContract, run, []string{"typed", "--store", t.TempDir()},
		func(string) (string, bool) { return "", false }, &out, &errb)
	if code != ExitRuntime || !strings.Contains(errb.String(), "no field for --level") {
		t.Errorf("exit %d, stderr %q; want %d and the missing field", code, errb.String(), ExitRuntime)
	}
}
