package bench

import "testing"

func TestBenchFailures(t *testing.T) {
	tests := []struct {
		name string
		rep  Report
		want string
	}{
		{"none", Report{Routed: &Stats{Requests: 3}, Direct: &Stats{Requests: 3}}, ""},
		{"routed", Report{Routed: &Stats{Errors: 2}, Direct: &Stats{}}, "2 of the measured requests failed"},
		{"both", Report{Routed: &Stats{Errors: 1}, Direct: &Stats{Errors: 4}}, "5 of the measured requests failed"},
		{"direct only", Report{Direct: &Stats{Errors: 1}}, "1 of the measured requests failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rep.Failures()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
