package split

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

func classes(seed uint64, counts ...int) []uint8 {
	var out []uint8
	for c, n := range counts {
		for range n {
			out = append(out, uint8(c))
		}
	}
	r := rand.New(rand.NewPCG(seed, 1))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func TestStratifiedProportions(t *testing.T) {
	cl := classes(1, 1000, 300, 50)
	p, err := New(cl, 3, Config{Seed: 7, Train: 0.8, Validation: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	got := p.Counts(3)
	want := map[string][]int{
		"train":               {800, 240, 40},
		"validation":          {100, 30, 5},
		"validation-balanced": {5, 5, 5},
		"test":                {100, 30, 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("counts = %v, want %v", got, want)
	}
}

func TestBalanceTrain(t *testing.T) {
	cl := classes(2, 100, 30, 7)
	for _, tc := range []struct {
		mode string
		want []int
	}{
		{BalanceNone, []int{80, 24, 6}},
		{BalanceDown, []int{6, 6, 6}},
		{BalanceUp, []int{80, 80, 80}},
	} {
		p, err := New(cl, 3, Config{Seed: 3, Train: 0.8, Validation: 0.1, TrainBalance: tc.mode})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Counts(3)["train"]; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: train = %v, want %v", tc.mode, got, tc.want)
		}
	}
}

func TestDeterministicAndSeeded(t *testing.T) {
	cl := classes(3, 500, 500)
	assign := func(seed uint64) []Copies {
		p, err := New(cl, 2, Config{Seed: seed, Train: 0.7, Validation: 0.15})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]Copies, p.Rows())
		for i := range out {
			out[i] = p.Copies(i)
		}
		return out
	}
	a, b, c := assign(11), assign(11), assign(12)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different splits")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same split")
	}
}

func TestEveryRowOnceWithoutBalancing(t *testing.T) {
	cl := classes(4, 123, 45, 6, 0)
	p, err := New(cl, 4, Config{Seed: 1, Train: 0.6, Validation: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cl {
		c := p.Copies(i)
		if c.Train+c.Validation+c.Test != 1 {
			t.Fatalf("row %d in %d splits", i, c.Train+c.Validation+c.Test)
		}
		if c.ValidationBalanced == 1 && c.Validation != 1 {
			t.Fatalf("row %d balanced-validation but not validation", i)
		}
	}
}

func TestInvalidConfig(t *testing.T) {
	for _, cfg := range []Config{{Train: 0.9, Validation: 0.2}, {Train: -0.1}, {Train: 0.5, TrainBalance: "sideways"}} {
		if _, err := New([]uint8{0}, 1, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	if _, err := New([]uint8{3}, 2, Config{Train: 0.5}); err == nil {
		t.Error("out-of-range class accepted")
	}
}

func TestFixedSizes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts []int
		cfg    Config
		want   map[string][]int
	}{
		{"unlabeled: one class", []int{1000}, Config{Seed: 1, Train: 0.8, Validation: 0.1, TestRows: 250, ValidationRows: 100},
			map[string][]int{"train": {650}, "validation": {100}, "validation-balanced": {100}, "test": {250}}},
		{"stratified shares", []int{600, 300, 100}, Config{Seed: 1, Train: 0.8, Validation: 0.1, TestRows: 100, ValidationRows: 50},
			map[string][]int{"train": {510, 255, 85}, "validation": {30, 15, 5}, "validation-balanced": {5, 5, 5}, "test": {60, 30, 10}}},
		{"largest remainder", []int{5, 3, 2}, Config{Seed: 1, TestRows: 3, ValidationRows: 1},
			// validation 1: shares .5,.3,.2 -> class 0; test 3 of 4,3,2: 1.33,1,.67 -> 1,1,0 + class 2 (.67)
			map[string][]int{"train": {3, 2, 1}, "validation": {1, 0, 0}, "validation-balanced": {0, 0, 0}, "test": {1, 1, 1}}},
		{"test rows only, validation keeps its fraction", []int{100}, Config{Seed: 1, Train: 0.5, Validation: 0.2, TestRows: 10},
			map[string][]int{"train": {70}, "validation": {20}, "validation-balanced": {20}, "test": {10}}},
		{"validation rows only, test keeps its fraction", []int{100}, Config{Seed: 1, Train: 0.5, Validation: 0.2, ValidationRows: 5},
			map[string][]int{"train": {65}, "validation": {5}, "validation-balanced": {5}, "test": {30}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := len(tc.counts)
			p, err := New(classes(3, tc.counts...), k, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Counts(k); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("counts = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFixedSizesTooLarge(t *testing.T) {
	if _, err := New(classes(1, 10), 1, Config{TestRows: 6, ValidationRows: 5}); err == nil {
		t.Fatal("11 rows of 10 accepted")
	}
	if _, err := New(classes(1, 10), 1, Config{TestRows: -1}); err == nil {
		t.Fatal("negative rows accepted")
	}
}
