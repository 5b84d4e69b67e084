package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"sync"

	"github.com/ipreg/ipreg/internal/registry"
)

func (s *Server) uploadDocument(w http.ResponseWriter, r *http.Request) {
	// The application first: an upload that would be refused for it is
	// neither read nor parsed.
	// The permit carries what the check read (the application's category,
	// the size limit) to the upload, which would otherwise read it again.
	permit, err := s.svc.PrepareDocumentUpload(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	in, err := ReadUpload(w, r, permit.Limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.svc.UploadPrepared(r.Context(), user(r), permit, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewDocument(d))
}

// ReadUpload reads a multipart/form-data body with a "kind" field and one
// "file" part, holding the file in memory: at most limit bytes of it, so
// that a document is never spooled unencrypted to a temporary file (as
// Request.ParseMultipartForm would for large parts). The portal's upload
// form uses it too.
func ReadUpload(w http.ResponseWriter, r *http.Request, limit int64) (registry.UploadInput, error) {
	var in registry.UploadInput
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return in, registry.Errorf(registry.EUNSUPPORTED, "send the document as multipart/form-data with a \"kind\" field and a \"file\" part")
	}
	// The form's other fields and boundaries need a little room beyond the file.
	body := http.MaxBytesReader(w, r.Body, limit+64<<10)
	r.Body = body
	mr, err := r.MultipartReader()
	if err != nil {
		return in, registry.Errorf(registry.EMALFORMED, "the multipart body cannot be read: %v", err)
	}
	sawFile, sawKind := false, false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return in, uploadReadError(err, limit)
		}
		switch p.FormName() {
		case "kind":
			// Two kinds are two answers to one question: which is meant
			// cannot be told, as with two files or a JSON member given twice.
			if sawKind {
				return in, &registry.Error{Code: registry.EMALFORMED, Message: "the form gives the document's kind twice",
					Fields: map[string]string{"kind": "is given twice; send it once, naming the one document this file is"}}
			}
			sawKind = true
			b, err := io.ReadAll(io.LimitReader(p, 101))
			if err != nil {
				return in, uploadReadError(err, limit)
			}
			if len(b) > 100 {
				return in, registry.Errorf(registry.EMALFORMED, "the \"kind\" field is too long; give one of the document kinds")
			}
			in.Kind = string(b)
		case "file":
			if sawFile {
				return in, registry.Errorf(registry.EMALFORMED, "send one file per request; upload each document separately")
			}
			sawFile = true
			in.Filename = p.FileName()
			b, err := readAllChunked(io.LimitReader(p, limit+1))
			if err != nil {
				return in, uploadReadError(err, limit)
			}
			if int64(len(b)) > limit {
				return in, tooLarge(limit)
			}
			in.Content = b
		default:
			return in, &registry.Error{Code: registry.EMALFORMED, Message: "the form has a field this route does not take",
				Fields: map[string]string{p.FormName(): "is not a known field here; send only \"kind\" and \"file\""}}
		}
	}
	// A kind missing beside a file is the registry's to refuse, naming the
	// kinds the application's category takes (tester t14: this list named
	// a company's to a freelancer).
	fe := registry.FieldErrors{}
	if !sawFile {
		if in.Kind == "" {
			fe.Add("kind", "is required: which document this is (cnic_front, cnic_back, incorporation_proof, …)")
		}
		fe.Add("file", "is required: choose the PDF, JPEG or PNG to upload")
	}
	return in, fe.Err()
}

func tooLarge(limit int64) error {
	return &registry.Error{Code: registry.ETOOLARGE, Message: "the file is larger than the limit",
		Fields: map[string]string{"file": "is larger than " + registry.ByteSize(limit) + "; scan at a lower resolution or compress it"}}
}

func uploadReadError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge(limit)
	}
	return registry.Errorf(registry.EMALFORMED, "the multipart body cannot be read: %v", err)
}

// uploadChunks hold a file part while it is read (64 KiB each).
var uploadChunks = sync.Pool{New: func() any { return new([64 << 10]byte) }}

// readAllChunked is io.ReadAll for a part of up to a few megabytes: it
// reads into pooled 64 KiB chunks and copies once into a slice of exactly
// the size read. io.ReadAll allocates its growing chunks afresh for every
// part (about 1.2 MB of them for a 1 MB scan, garbage at once); pooled,
// they are reused (BenchmarkReadUploadPart: 2.19 → 1.01 MB allocated per
// 1 MB part). Sizing by Content-Length instead would let a client that
// announces a large body and sends a few bytes make the server allocate
// the whole limit.
func readAllChunked(r io.Reader) ([]byte, error) {
	var chunks []*[64 << 10]byte
	defer func() {
		for _, c := range chunks {
			uploadChunks.Put(c)
		}
	}()
	total, last := 0, 0 // last: bytes in the last chunk
	for {
		if len(chunks) == 0 || last == len(chunks[0]) {
			chunks = append(chunks, uploadChunks.Get().(*[64 << 10]byte))
			last = 0
		}
		n, err := r.Read(chunks[len(chunks)-1][last:])
		last += n
		total += n
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, total)
	for i, c := range chunks {
		if i == len(chunks)-1 {
			out = append(out, c[:last]...)
		} else {
			out = append(out, c[:]...)
		}
	}
	return out, nil
}
