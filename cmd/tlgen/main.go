// Command tlgen writes package tl's constructors from the reference's TL
// schema: for every declaration that the list file selects, a Go type with
// its TLID and the MarshalTL and UnmarshalTL of its body on package tl's
// Writer and Reader (no reflection, no allocation beyond the decoded
// object's own slices); an interface for every boxed type with several
// constructors; and the registry that Unmarshal, Name and New read.
//
// Each id is the schema's explicit #id where it gives one, otherwise the
// CRC32 (IEEE) of the normalized declaration. The schema is read from
// ../shared and never copied into the repository.
//
// With -own, tlgen also writes the constructors of cocoon-go's own schema,
// internal/tl/cocoon.tl, into a second file: every declaration of it, with
// its doc from the comment above it, an exported constant for its id (the
// CRC32 of the declaration as written there, parentheses kept), and its
// registration beside the reference's, marked as our own. go generate in
// internal/tl runs both:
//
//	go run ../../cmd/tlgen -schema ../../../shared/reference/cocoon_api.tl -list constructors.txt -out zz_generated.go -own cocoon.tl -ownout zz_cocoon_generated.go
//
// A test in this directory regenerates internal/tl/zz_generated.go and
// zz_cocoon_generated.go in memory and fails if either differs from the
// committed file.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tlgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("tlgen", flag.ContinueOnError)
	schemaPath := fs.String("schema", "", "the reference's TL schema, ../shared/reference/cocoon_api.tl")
	listPath := fs.String("list", "constructors.txt", "the list of declarations to generate")
	out := fs.String("out", "zz_generated.go", "the Go file to write")
	ownPath := fs.String("own", "", "cocoon-go's own schema, cocoon.tl; none if empty")
	ownOut := fs.String("ownout", "zz_cocoon_generated.go", "the Go file to write from -own")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *schemaPath == "" {
		return fmt.Errorf("-schema is required: the path of cocoon_api.tl in ../shared/reference")
	}
	schema, err := os.ReadFile(*schemaPath)
	if err != nil {
		return fmt.Errorf("reading the schema: %w", err)
	}
	list, err := os.ReadFile(*listPath)
	if err != nil {
		return fmt.Errorf("reading the list: %w", err)
	}
	src, err := generate(schema, list)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return fmt.Errorf("writing the generated code: %w", err)
	}
	if *ownPath == "" {
		return nil
	}
	own, err := os.ReadFile(*ownPath)
	if err != nil {
		return fmt.Errorf("reading our own schema: %w", err)
	}
	src, err = generateOwn(own, schema)
	if err != nil {
		return fmt.Errorf("generating from our own schema: %w", err)
	}
	if err := os.WriteFile(*ownOut, src, 0o644); err != nil {
		return fmt.Errorf("writing the code generated from our own schema: %w", err)
	}
	return nil
}
