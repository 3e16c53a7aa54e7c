package tl

// HTTP requests and answers carried inside queries.

// HTTPHeader is the TL constructor http.header: it is one HTTP header.
//
//	http.header name:string value:string = http.Header
type HTTPHeader struct {
	Name  string
	Value string
}

// TLID returns the constructor id of http.header.
func (*HTTPHeader) TLID() uint32 { return 0x8e9be511 }

// MarshalTL writes the body of http.header.
func (m *HTTPHeader) MarshalTL(w *Writer) {
	w.String(m.Name)
	w.String(m.Value)
}

// UnmarshalTL reads the body of http.header.
func (m *HTTPHeader) UnmarshalTL(r *Reader) error {
	*m = HTTPHeader{}
	m.Name = r.String()
	m.Value = r.String()
	return r.Err()
}

// HTTPResponse is the TL constructor http.response: it is the head (and
// possibly the whole body) of an HTTP answer.
//
//	http.response http_version:string status_code:int reason:string headers:(vector http.header) payload:bytes = http.Response
type HTTPResponse struct {
	HTTPVersion string
	StatusCode  int32
	Reason      string
	Headers     []HTTPHeader
	Payload     []byte
}

// TLID returns the constructor id of http.response.
func (*HTTPResponse) TLID() uint32 { return 0x1cd0c42b }

// MarshalTL writes the body of http.response.
func (m *HTTPResponse) MarshalTL(w *Writer) {
	w.String(m.HTTPVersion)
	w.Int32(m.StatusCode)
	w.String(m.Reason)
	w.VectorLen(len(m.Headers))
	for i := range m.Headers {
		m.Headers[i].MarshalTL(w)
	}
	w.Bytes(m.Payload)
}

// UnmarshalTL reads the body of http.response.
func (m *HTTPResponse) UnmarshalTL(r *Reader) error {
	*m = HTTPResponse{}
	m.HTTPVersion = r.String()
	m.StatusCode = r.Int32()
	m.Reason = r.String()
	if n := r.VectorLen(8); n > 0 {
		m.Headers = make([]HTTPHeader, n)
		for i := range m.Headers {
			r.Bare(&m.Headers[i])
		}
	}
	m.Payload = r.Bytes()
	return r.Err()
}

// HTTPRequest is the TL function http.request: it is an HTTP request
// forwarded to the worker's backend.
//
//	http.request method:string url:string http_version:string headers:(vector http.header) payload:bytes = http.Response
type HTTPRequest struct {
	Method      string
	URL         string
	HTTPVersion string
	Headers     []HTTPHeader
	Payload     []byte
}

// TLID returns the constructor id of http.request.
func (*HTTPRequest) TLID() uint32 { return 0x47492de5 }

// MarshalTL writes the body of http.request.
func (m *HTTPRequest) MarshalTL(w *Writer) {
	w.String(m.Method)
	w.String(m.URL)
	w.String(m.HTTPVersion)
	w.VectorLen(len(m.Headers))
	for i := range m.Headers {
		m.Headers[i].MarshalTL(w)
	}
	w.Bytes(m.Payload)
}

// UnmarshalTL reads the body of http.request.
func (m *HTTPRequest) UnmarshalTL(r *Reader) error {
	*m = HTTPRequest{}
	m.Method = r.String()
	m.URL = r.String()
	m.HTTPVersion = r.String()
	if n := r.VectorLen(8); n > 0 {
		m.Headers = make([]HTTPHeader, n)
		for i := range m.Headers {
			r.Bare(&m.Headers[i])
		}
	}
	m.Payload = r.Bytes()
	return r.Err()
}
