package openai

import (
	"bytes"
	"mime/multipart"
	"strings"
	"testing"
)

// upload builds a multipart body with Go's own writer, as a client would.
func upload(t testing.TB, fields [][2]string, file []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	if file != nil {
		fw, err := w.CreateFormFile("file", "voice.ogg")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func TestParseForm(t *testing.T) {
	audio := bytes.Repeat([]byte("\x00\r\n-\xff"), 1000)
	ct, body := upload(t, [][2]string{{"model", "whisper-1"}, {"response_format", "text"}, {"timeout", "30"}}, audio)
	f, err := ParseForm(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Parts()); got != 4 {
		t.Fatalf("got %d parts, want 4", got)
	}
	if v, ok, err := f.Value("model"); !ok || err != nil || v != "whisper-1" {
		t.Errorf("model = %q, %v, %v; want whisper-1", v, ok, err)
	}
	file, ok := f.File("file")
	if !ok || file.Filename != "voice.ogg" || !bytes.Equal(f.Content(file), audio) {
		t.Fatalf("file part: got %+v", file)
	}
	if _, _, err := f.Value("file"); err == nil {
		t.Error("Value of a file part succeeded")
	}
	before := &f.Bytes()[0]
	f.Remove("timeout")
	if !f.SetValue("response_format", "json") {
		t.Fatal("SetValue found no response_format")
	}
	if &f.Bytes()[0] != before {
		t.Error("Remove and a same-length SetValue moved the body; want in place")
	}
	// What is left parses as the same form with Go's reader.
	r := multipart.NewReader(bytes.NewReader(f.Bytes()), f.Boundary())
	form, err := r.ReadForm(1 << 20)
	if err != nil {
		t.Fatalf("Go's reader refuses the rewritten body: %v", err)
	}
	if got := form.Value["response_format"]; len(got) != 1 || got[0] != "json" {
		t.Errorf("response_format after SetValue = %q, want json", got)
	}
	if _, ok := form.Value["timeout"]; ok {
		t.Error("timeout is still there after Remove")
	}
	if got := form.File["file"]; len(got) != 1 || got[0].Size != int64(len(audio)) {
		t.Errorf("file after rewrites: %+v", got)
	}
	if v, _, _ := f.Value("model"); v != "whisper-1" {
		t.Errorf("model after rewrites = %q", v)
	}
	f.SetValue("model", "a-longer-model-name")
	if v, _, _ := f.Value("model"); v != "a-longer-model-name" {
		t.Errorf("model after a longer SetValue = %q", v)
	}
	if file, _ := f.File("file"); !bytes.Equal(f.Content(file), audio) {
		t.Error("file content changed by a longer SetValue")
	}
}

func TestParseFormRefuses(t *testing.T) {
	ct, good := upload(t, [][2]string{{"model", "m"}}, []byte("x"))
	tests := []struct {
		name string
		ct   string
		body []byte
	}{
		{"json content type", "application/json", good},
		{"no boundary", "multipart/form-data", good},
		{"no delimiter", ct, []byte("hello")},
		{"unterminated", ct, good[:len(good)-10]},
		{"no disposition", "multipart/form-data; boundary=b", []byte("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n")},
		{"unterminated headers", "multipart/form-data; boundary=b", append([]byte("--b\r\nX: "), bytes.Repeat([]byte("y"), maxPartHeaderBytes)...)},
		{"bad boundary line", "multipart/form-data; boundary=b", []byte("--bjunk\r\n\r\nx\r\n--b--\r\n")},
		{"too many parts", "multipart/form-data; boundary=b", []byte(strings.Repeat("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n", maxFormParts+1) + "--b--\r\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseForm(tt.ct, tt.body); err == nil {
				t.Error("ParseForm succeeded")
			}
		})
	}
}

func TestRequestPath(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/embeddings":                      "/v1/embeddings",
		"/v1/audio/transcriptions?x=1":        "/v1/audio/transcriptions",
		"http://h:8/v1/chat/completions#frag": "/v1/chat/completions",
		"http://h":                            "/",
	} {
		if got := RequestPath(in); got != want {
			t.Errorf("RequestPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseForm(f *testing.F) {
	ct, body := upload(f, [][2]string{{"model", "m"}, {"language", "en"}}, []byte("RIFF\x00\x01"))
	_, bnd, _ := strings.Cut(ct, "boundary=")
	f.Add(bnd, body)
	f.Add("b", []byte("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--b--"))
	f.Fuzz(func(t *testing.T, boundary string, body []byte) {
		form, err := ParseForm("multipart/form-data; boundary=\""+boundary+"\"", body)
		if err != nil {
			return
		}
		enc := EncodeForm(form.Boundary(), form)
		again, err := ParseForm("multipart/form-data; boundary=\""+form.Boundary()+"\"", enc)
		if err != nil {
			t.Fatalf("re-decoding %q: %v", enc, err)
		}
		if len(again.Parts()) != len(form.Parts()) {
			t.Fatalf("round trip: %d parts, then %d", len(form.Parts()), len(again.Parts()))
		}
		for i, p := range form.Parts() {
			q := again.Parts()[i]
			if p.Name != q.Name || p.Filename != q.Filename || p.ContentType != q.ContentType || !bytes.Equal(form.Content(p), again.Content(q)) {
				t.Fatalf("round trip changed part %d: %+v to %+v", i, p, q)
			}
		}
		if !bytes.Equal(EncodeForm(again.Boundary(), again), enc) {
			t.Fatal("second encoding differs")
		}
	})
}

func TestFormCocoonParams(t *testing.T) {
	ct, body := upload(t, [][2]string{{"model", "whisper"}, {"max_coefficient", "2500"}, {"timeout", "30"}, {"enable_debug", "true"}, {"request_guid", "g-1"}, {"language", "ru"}}, []byte("RIFF"))
	f, err := ParseForm(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	p, err := FormCocoonParams(f)
	if err != nil || p.MaxCoefficient != 2500 || p.Timeout.Seconds() != 30 || !p.EnableDebug || p.RequestGUID != "g-1" {
		t.Fatalf("FormCocoonParams = %+v, %v", p, err)
	}
	for _, k := range cocoonFields {
		if _, ok, _ := f.Value(k); ok {
			t.Errorf("%s is still in the upload", k)
		}
	}
	if v, _, _ := f.Value("language"); v != "ru" {
		t.Errorf("language = %q after the rewrite, want ru", v)
	}
	if _, ok := f.File("file"); !ok {
		t.Error("the file is gone after the rewrite")
	}
	ct, body = upload(t, [][2]string{{"model", "whisper"}}, nil)
	if f, _ = ParseForm(ct, body); true {
		if p, err := FormCocoonParams(f); err != nil || p.MaxCoefficient != DefaultMaxCoefficient || p.Timeout != DefaultTimeout {
			t.Errorf("defaults: %+v, %v", p, err)
		}
	}
	ct, body = upload(t, [][2]string{{"model", "whisper"}, {"timeout", "soon"}}, nil)
	if f, _ = ParseForm(ct, body); true {
		if _, err := FormCocoonParams(f); err == nil {
			t.Error("a timeout of \"soon\" was accepted")
		}
	}
}

// Parts returns the parts in order.
func (f *Form) Parts() []Part { return f.parts }

// EncodeForm writes parts as a multipart/form-data body with boundary:
// each part's header lines and content as they were read.
func EncodeForm(boundary string, f *Form) []byte {
	var b bytes.Buffer
	for _, p := range f.parts {
		b.WriteString("--" + boundary + "\r\n")
		b.Write(p.header)
		b.WriteString("\r\n")
		b.Write(f.Content(p))
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes()
}

// Boundary returns the form's boundary.
func (f *Form) Boundary() string { return f.boundary }
