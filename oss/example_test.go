package oss_test

import (
	"fmt"

	"github.com/ossflow/ossflow/oss"
)

func ExampleCodeOf() {
	err := fmt.Errorf("serving: %w", oss.E("GetObject", oss.NoSuchKey, ""))
	c := oss.CodeOf(err)
	fmt.Println(c.Name(), c.Status(), c.EC())
	// Output: NoSuchKey 404 0026-00000001
}

func ExampleParseRange() {
	r, _ := oss.ParseRange("bytes=-10", false).Resolve(100)
	fmt.Println(r.Start, r.Length)
	// Output: 90 10
}
