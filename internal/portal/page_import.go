package portal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// importUploads keeps the files admins checked on /admin/import, so that
// "Import this file" imports the very bytes the dry run reported on, by
// their SHA-256, without a second upload. Held in this process's memory
// only (a confirm that reaches another replica, or comes after a restart
// or an hour, is asked to upload the file again: it is checked again, and
// importing is idempotent), per admin, at most importKept files.
type importUploads struct {
	mu    sync.Mutex
	files map[string]importUpload // key: user id + "/" + hex SHA-256
	// taken are the keys imported in the last hour, when: a second
	// "Import this file" of the same check (a double click, the form sent
	// twice) is told the file was just imported, not that it was lost
	// (tester t3, minor 3).
	taken map[string]time.Time
}

type importUpload struct {
	data []byte
	name string
	at   time.Time
}

const (
	importKept     = 4
	importKeptTime = time.Hour
)

func (k *importUploads) put(userID, name string, data []byte, now time.Time) string {
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.files == nil {
		k.files = map[string]importUpload{}
	}
	k.expire(now)
	for len(k.files) >= importKept {
		oldest := ""
		for key, f := range k.files {
			if oldest == "" || f.at.Before(k.files[oldest].at) {
				oldest = key
			}
		}
		delete(k.files, oldest)
	}
	k.files[userID+"/"+h] = importUpload{data: data, name: name, at: now}
	return h
}

// take returns and forgets the file: it is imported once. When it is not
// kept, taken says whether an earlier take had it within the hour.
func (k *importUploads) take(userID, hash string, now time.Time) (f importUpload, ok, taken bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.expire(now)
	key := userID + "/" + hash
	f, ok = k.files[key]
	delete(k.files, key)
	if ok {
		if k.taken == nil {
			k.taken = map[string]time.Time{}
		}
		k.taken[key] = now
		return f, true, false
	}
	_, taken = k.taken[key]
	return f, false, taken
}

func (k *importUploads) expire(now time.Time) {
	for key, f := range k.files {
		if now.Sub(f.at) > importKeptTime {
			delete(k.files, key)
		}
	}
	for key, at := range k.taken {
		if now.Sub(at) > importKeptTime {
			delete(k.taken, key)
		}
	}
}

// adminImport shows the form that uploads the allowlist CSV for a check.
func (s *Server) adminImport(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "admin_import", &view{Title: "Import the existing allowlist", User: u, D: map[string]any{}})
}

// adminImportCheck runs the dry run of the uploaded file and shows its
// report; a clean file is kept for the confirm button.
func (s *Server) adminImportCheck(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	_, files, err := formWithFiles(w, r, registry.MaxImportBytes, "file")
	var data []byte
	name := ""
	if err == nil {
		if fhs := files["file"]; len(fhs) == 0 || fhs[0].Size == 0 {
			err = registry.FieldErrors{"file": "is missing: choose the CSV file of the existing allowlist (columns in docs/import.md)"}.Err()
		} else {
			name = fhs[0].Filename
			f, ferr := fhs[0].Open()
			if ferr != nil {
				s.fail(w, r, ferr)
				return
			}
			data, err = io.ReadAll(f)
			f.Close()
		}
	}
	if err != nil {
		s.render(w, r, statusOf(err), "admin_import", &view{Title: "Import the existing allowlist", User: u, Err: toFormError(s, r, err), D: map[string]any{}})
		return
	}
	rep, _, err := s.svc.AdminImport(r.Context(), u, bytes.NewReader(data), true)
	if err != nil {
		s.render(w, r, statusOf(err), "admin_import", &view{Title: "Import the existing allowlist", User: u, Err: toFormError(s, r, err), D: map[string]any{}})
		return
	}
	d := map[string]any{"Report": rep, "Name": name, "Checked": true}
	if len(rep.Problems) == 0 {
		d["Hash"] = s.imports.put(u.ID, name, data, s.svc.Now())
	}
	s.render(w, r, http.StatusOK, "admin_import", &view{Title: "Import the existing allowlist", User: u, D: d})
}

// adminImportConfirm imports the file the admin checked (by its hash) and
// invites its new holders.
func (s *Server) adminImportConfirm(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	up, found, taken := s.imports.take(u.ID, f.Get("sha256"), s.svc.Now())
	if !found {
		err := registry.FieldErrors{"file": "was not kept: more than an hour has passed since the check, or the server restarted; choose the file and check it again"}.Err()
		if taken {
			err = registry.FieldErrors{"file": "was imported a moment ago by an earlier press of \"Import this file\" (the form was sent more than once): its registrations are in ipreg and its new holders invited; there is nothing more to do"}.Err()
		}
		s.render(w, r, statusOf(err), "admin_import", &view{Title: "Import the existing allowlist", User: u, Err: toFormError(s, r, err), D: map[string]any{}})
		return
	}
	rep, invited, err := s.svc.AdminImport(r.Context(), u, bytes.NewReader(up.data), false)
	if err != nil {
		s.render(w, r, statusOf(err), "admin_import", &view{Title: "Import the existing allowlist", User: u, Err: toFormError(s, r, err), D: map[string]any{}})
		return
	}
	s.render(w, r, http.StatusOK, "admin_import", &view{Title: "Import the existing allowlist", User: u,
		D: map[string]any{"Report": rep, "Name": up.name, "Done": len(rep.Problems) == 0, "Checked": true, "Invited": invited}})
}
