package whereby

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// theme is a room's look, by room name.
type theme struct {
	RoomName        string          `json:"roomName"`
	Tokens          json.RawMessage `json:"tokens,omitempty"`
	TokensPreset    string          `json:"tokensPreset,omitempty"`
	Logo            *themeImage     `json:"logo,omitempty"`
	RoomBackground  *themeImage     `json:"roomBackground,omitempty"`
	KnockBackground *themeImage     `json:"knockPageBackground,omitempty"`
	RoomPreset      json.RawMessage `json:"roomBackgroundPreset,omitempty"`
	KnockPagePreset json.RawMessage `json:"knockPageBackgroundPreset,omitempty"`
	LogoReset       bool            `json:"logoReset,omitempty"`
}

// themeImage records an uploaded image (its size, not its bytes).
type themeImage struct {
	Bytes       int    `json:"bytes"`
	ContentType string `json:"contentType,omitempty"`
}

// roomParam is the room name of a theme operation, with its leading slash
// (sent raw or %2F-encoded; one without gets it).
func roomParam(r *http.Request) string {
	name := mocks.PathParam(r, "roomName")
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	return name
}

// updateTheme changes the stored theme of the request's room with fn and
// answers 204. Rooms made outside the API (in the dashboard) may be
// themed too, so the room need not be one of the workspace's meetings.
func (m *Mock) updateTheme(w http.ResponseWriter, r *http.Request, fn func(*theme) error) error {
	name := roomParam(r)
	err := m.update(r.Context(), func(tx *store.Tx) error {
		res, err := tx.Get(Vendor, kindTheme, name)
		th := &theme{RoomName: name}
		stored := err == nil
		switch {
		case stored:
			if th, err = decode[theme](res); err != nil {
				return err
			}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if err := fn(th); err != nil {
			return err
		}
		doc := &store.Resource{Vendor: Vendor, Kind: kindTheme, ID: name, Doc: mustJSON(th)}
		if stored {
			return tx.UpdateDoc(doc)
		}
		return tx.Insert(doc)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setRoomThemeTokens serves PUT /rooms/{roomName}/theme/tokens.
func (m *Mock) setRoomThemeTokens(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Tokens       json.RawMessage `json:"tokens"`
		TokensPreset string          `json:"tokensPreset"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	return m.updateTheme(w, r, func(th *theme) error {
		th.Tokens, th.TokensPreset = in.Tokens, in.TokensPreset
		return nil
	})
}

// upload reads the image of a multipart theme upload (the spec checked
// that it has one), or reports false for a JSON body.
func upload(r *http.Request) (*themeImage, bool, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil, false, nil
	}
	if params["boundary"] == "" {
		return nil, true, invalid("image", "the multipart body has no boundary")
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return nil, true, invalid("image", "the multipart body is malformed")
	}
	defer r.MultipartForm.RemoveAll()
	fh := r.MultipartForm.File["image"]
	if len(fh) == 0 {
		if v := r.MultipartForm.Value["image"]; len(v) > 0 {
			return &themeImage{Bytes: len(v[0])}, true, nil
		}
		return nil, true, invalid("image", "image is required")
	}
	return &themeImage{Bytes: int(fh[0].Size), ContentType: fh[0].Header.Get("Content-Type")}, true, nil
}

// setRoomThemeLogo serves PUT /rooms/{roomName}/theme/logo.
func (m *Mock) setRoomThemeLogo(w http.ResponseWriter, r *http.Request) error {
	img, multipart, err := upload(r)
	if err != nil {
		return err
	}
	return m.updateTheme(w, r, func(th *theme) error {
		th.Logo, th.LogoReset = img, !multipart
		return nil
	})
}

// setRoomBackground serves PUT /rooms/{roomName}/theme/room-background.
func (m *Mock) setRoomBackground(w http.ResponseWriter, r *http.Request) error {
	return m.setBackground(w, r, func(th *theme, img *themeImage, preset json.RawMessage) {
		th.RoomBackground, th.RoomPreset = img, preset
	})
}

// setRoomKnockPageBackground serves PUT
// /rooms/{roomName}/theme/room-knock-page-background.
func (m *Mock) setRoomKnockPageBackground(w http.ResponseWriter, r *http.Request) error {
	return m.setBackground(w, r, func(th *theme, img *themeImage, preset json.RawMessage) {
		th.KnockBackground, th.KnockPagePreset = img, preset
	})
}

func (m *Mock) setBackground(w http.ResponseWriter, r *http.Request, set func(*theme, *themeImage, json.RawMessage)) error {
	img, multipart, err := upload(r)
	if err != nil {
		return err
	}
	var preset json.RawMessage
	if !multipart {
		preset = json.RawMessage(mustJSON(json.RawMessage(mocks.Body(r))))
	}
	return m.updateTheme(w, r, func(th *theme) error {
		set(th, img, preset)
		return nil
	})
}
