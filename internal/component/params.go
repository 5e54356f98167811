package component

import (
	"context"
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// TypedRunFunc does the work of a component whose parameters the harness
// decoded once into a struct P (see Decode).
type TypedRunFunc[P any] func(ctx context.Context, env *Env, p P) error

// Typed adapts a TypedRunFunc to a RunFunc: the contract's parameters are
// decoded into a P before run is called. A struct that does not match the
// contract (CheckParams) is a runtime error; a value that does not decode
// is a usage error naming the flag.
func Typed[P any](run TypedRunFunc[P]) RunFunc {
	return func(ctx context.Context, env *Env) error {
		var p P
		if err := Decode(env, &p); err != nil {
			return err
		}
		return run(ctx, env, p)
	}
}

// MainOf is Main for a component with typed parameters.
func MainOf[P any](c Contract, run TypedRunFunc[P]) { Main(c, Typed(run)) }

// CheckParams checks that P has exactly one field for every parameter of
// c, of a type that holds it, and no field without a parameter.
func CheckParams[P any](c *Contract) error {
	_, err := paramFields(c, reflect.TypeFor[P]())
	return err
}

// Decode fills the struct *p from the parameter values the harness read
// and validated. Fields are matched by their `param:"<flag>"` tag;
// embedded structs without a tag are groups whose fields count as P's own.
// Field types by parameter type:
//
//	string    a string kind, or a type whose pointer is an encoding.TextUnmarshaler
//	int       an int kind (not time.Duration)
//	float     float64
//	bool      bool
//	duration  time.Duration
//	strings   []string
func Decode[P any](env *Env, p *P) error {
	fields, err := paramFields(env.Contract, reflect.TypeFor[P]())
	if err != nil {
		return err
	}
	v := reflect.ValueOf(p).Elem()
	for _, f := range fields {
		if err := f.set(v.FieldByIndex(f.index), env); err != nil {
			return err
		}
	}
	return nil
}

type paramField struct {
	param Param
	index []int
	path  string // Go field path, for messages
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	stringsType  = reflect.TypeFor[[]string]()
	textType     = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// holds reports whether a field of type t can hold a parameter of type pt.
func holds(t reflect.Type, pt Type) bool {
	switch pt {
	case "", String:
		return reflect.PointerTo(t).Implements(textType) || t.Kind() == reflect.String
	case Int:
		return t != durationType && (t.Kind() == reflect.Int || t.Kind() == reflect.Int64)
	case Float:
		return t.Kind() == reflect.Float64
	case Bool:
		return t.Kind() == reflect.Bool
	case Duration:
		return t == durationType
	case Strings:
		return t == stringsType
	}
	return false
}

func paramFields(c *Contract, t reflect.Type) ([]paramField, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("component %s: parameters type %s is not a struct", c.Name, t)
	}
	var fields []paramField
	byName := map[string]string{}
	var walk func(t reflect.Type, index []int, prefix string) error
	walk = func(t reflect.Type, index []int, prefix string) error {
		for i := range t.NumField() {
			sf := t.Field(i)
			idx := append(append([]int{}, index...), i)
			path := prefix + sf.Name
			name, tagged := sf.Tag.Lookup("param")
			if !tagged && sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				if err := walk(sf.Type, idx, path+"."); err != nil {
					return err
				}
				continue
			}
			if !tagged || name == "" {
				return fmt.Errorf("component %s: field %s of %s has no param tag (embed a group, or tag it `param:\"<flag>\"`)", c.Name, path, t)
			}
			if !sf.IsExported() {
				return fmt.Errorf("component %s: field %s (--%s) is not exported", c.Name, path, name)
			}
			p, ok := c.Param(name)
			if !ok {
				return fmt.Errorf("component %s: field %s is tagged --%s, which the contract does not declare", c.Name, path, name)
			}
			if prev, dup := byName[name]; dup {
				return fmt.Errorf("component %s: --%s has two fields, %s and %s", c.Name, name, prev, path)
			}
			if !holds(sf.Type, p.Type) {
				pt := p.Type
				if pt == "" {
					pt = String
				}
				return fmt.Errorf("component %s: field %s of type %s cannot hold --%s, a %s parameter", c.Name, path, sf.Type, name, pt)
			}
			byName[name] = path
			fields = append(fields, paramField{param: p, index: idx, path: path})
		}
		return nil
	}
	if err := walk(t, nil, ""); err != nil {
		return nil, err
	}
	var missing []string
	for _, p := range c.Params {
		if _, ok := byName[p.Name]; !ok {
			missing = append(missing, "--"+p.Name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("component %s: parameters type %s has no field for %s", c.Name, t, strings.Join(missing, ", "))
	}
	return fields, nil
}

func (f paramField) set(v reflect.Value, env *Env) error {
	name := f.param.Name
	text := env.String(name)
	bad := func(err error) error { return Usagef("--%s: %w", name, err) }
	if tu, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok && (f.param.Type == "" || f.param.Type == String) {
		if err := tu.UnmarshalText([]byte(text)); err != nil {
			return bad(err)
		}
		return nil
	}
	switch f.param.Type {
	case "", String:
		v.SetString(text)
	case Strings:
		v.Set(reflect.ValueOf(append([]string(nil), env.Strings(name)...)))
	case Int:
		n, err := strconv.ParseInt(text, 10, v.Type().Bits())
		if err != nil {
			return bad(fmt.Errorf("%q is not an integer of %d bits", text, v.Type().Bits()))
		}
		v.SetInt(n)
	case Float:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return bad(fmt.Errorf("%q is not a number", text))
		}
		v.SetFloat(x)
	case Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return bad(fmt.Errorf("%q is not true or false", text))
		}
		v.SetBool(b)
	case Duration:
		d, err := time.ParseDuration(text)
		if err != nil {
			return bad(fmt.Errorf("%q is not a duration like 30s or 5m", text))
		}
		v.SetInt(int64(d))
	default:
		return fmt.Errorf("component %s: --%s has unknown type %q", env.Contract.Name, name, f.param.Type)
	}
	return nil
}

// DecodeDefaults decodes the contract's defaults into a P: the
// parameters a component gets with no flag and no environment set (for
// tests that hold a library's defaults to the contract's).
func DecodeDefaults[P any](c *Contract) (P, error) {
	e := &Env{Contract: c, params: map[string]string{}, lists: map[string][]string{}}
	for _, p := range c.Params {
		v := p.Default
		switch p.Type {
		case Bool:
			if v == "" {
				v = "false"
			}
		case Strings:
			e.lists[p.Name] = splitList(v)
		}
		e.params[p.Name] = v
	}
	var p P
	err := Decode(e, &p)
	return p, err
}
