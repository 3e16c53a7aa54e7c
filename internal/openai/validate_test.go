package openai

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateChat(t *testing.T) {
	tests := []struct {
		name, body  string
		param, code string
		msg         string // a part of the message
	}{
		{"ok", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "", "", ""},
		{"ok parts and tools", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]},{"role":"assistant","content":null,"tool_calls":[]}],"tools":[],"logprobs":true,"stream":true,"stream_options":{"include_usage":true}}`, "", "", ""},
		{"no model", `{"messages":[{"role":"user","content":"x"}]}`, "model", CodeMissingParameter, "Missing required parameter: 'model'"},
		{"model type", `{"model":3,"messages":[]}`, "model", CodeInvalidType, "expected a string, but got an integer"},
		{"no messages", `{"model":"m"}`, "messages", CodeMissingParameter, "'messages'"},
		{"messages string", `{"model":"m","messages":"hi"}`, "messages", CodeInvalidType, "expected an array of message objects, but got a string instead"},
		{"messages empty", `{"model":"m","messages":[]}`, "messages", CodeEmptyArray, "empty array"},
		{"message not object", `{"model":"m","messages":["hi"]}`, "messages[0]", CodeInvalidType, "expected an object"},
		{"unknown role", `{"model":"m","messages":[{"role":"wizard","content":"x"}]}`, "messages[0].role", CodeInvalidValue, "Invalid value: 'wizard'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', 'function'"},
		{"no role", `{"model":"m","messages":[{"content":"x"}]}`, "messages[0].role", CodeMissingParameter, ""},
		{"content number", `{"model":"m","messages":[{"role":"user","content":5}]}`, "messages[0].content", CodeInvalidType, "expected a string or an array of content parts"},
		{"user without content", `{"model":"m","messages":[{"role":"user"}]}`, "messages[0].content", CodeMissingParameter, ""},
		{"max_tokens huge", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1e23}`, "max_tokens", CodeAboveMax, "Expected a value <= 2147483647, but got 1e23 instead"},
		{"max_tokens zero", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}`, "max_tokens", CodeBelowMin, "Expected a value >= 1"},
		{"max_tokens string", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":"5"}`, "max_tokens", CodeInvalidType, "expected an integer, but got a string"},
		{"max_tokens fraction", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":2.5}`, "max_tokens", CodeInvalidType, "expected an integer between 1 and 2147483647"},
		{"temperature", `{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3}`, "temperature", CodeDecimalAboveMax, "<= 2"},
		{"stream type", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, "stream", CodeInvalidType, "expected a boolean"},
		{"stream_options without stream", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}`, "stream_options", CodeInvalidValue, "only allowed when 'stream' is enabled"},
		{"include_usage type", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":1}}`, "stream_options.include_usage", CodeInvalidType, ""},
		{"tools type", `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":{}}`, "tools", CodeInvalidType, "expected an array of tools"},
		{"stop type", `{"model":"m","messages":[{"role":"user","content":"x"}],"stop":5}`, "stop", CodeInvalidType, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBody([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			err = b.ValidateChat()
			if tt.code == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a ParamError", err)
			}
			if pe.Param != tt.param || pe.Code != tt.code || !strings.Contains(pe.Message, tt.msg) {
				t.Errorf("got param %q code %q message %q, want %q %q containing %q", pe.Param, pe.Code, pe.Message, tt.param, tt.code, tt.msg)
			}
			if strings.Contains(pe.Message, "Go ") || strings.Contains(pe.Message, "unmarshal") {
				t.Errorf("message %q speaks Go", pe.Message)
			}
		})
	}
}

func TestValidateCompletion(t *testing.T) {
	tests := []struct {
		name, body, param, code string
	}{
		{"ok", `{"model":"m","prompt":"x","echo":true,"logprobs":2}`, "", ""},
		{"no prompt", `{"model":"m"}`, "prompt", CodeMissingParameter},
		{"prompt object", `{"model":"m","prompt":{}}`, "prompt", CodeInvalidType},
		{"echo type", `{"model":"m","prompt":"x","echo":"yes"}`, "echo", CodeInvalidType},
		{"logprobs range", `{"model":"m","prompt":"x","logprobs":9}`, "logprobs", CodeAboveMax},
	}
	for _, tt := range tests {
		b, err := ParseBody([]byte(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		err = b.ValidateCompletion()
		var pe *ParamError
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("%s: got %v, want no error", tt.name, err)
		case tt.code != "" && (!errors.As(err, &pe) || pe.Param != tt.param || pe.Code != tt.code):
			t.Errorf("%s: got %v, want param %q code %q", tt.name, err, tt.param, tt.code)
		}
	}
}

func TestInvalidJSON(t *testing.T) {
	for _, body := range []string{`garbage`, `{"model":`, `[1]`, `{"a":1,"a":2}`} {
		_, err := ParseBody([]byte(body))
		pe := InvalidJSON(err)
		if pe.Code != CodeInvalidJSON || !strings.HasPrefix(pe.Message, "We could not parse the JSON body") {
			t.Errorf("%s: got %q %q, want invalid_json", body, pe.Code, pe.Message)
		}
	}
}
