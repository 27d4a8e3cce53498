package scenarios_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/store"
)

// downStore is an upload store that refuses every change.
type downStore struct{ stored []store.ScenarioUpload }

var errStoreDown = errors.New("store down")

func (d *downStore) ScenarioUploads(context.Context) ([]store.ScenarioUpload, error) {
	return d.stored, nil
}
func (*downStore) PutScenarioUpload(context.Context, string, []byte, []string) (store.ScenarioUpload, error) {
	return store.ScenarioUpload{}, errStoreDown
}
func (*downStore) DeleteScenarioUpload(context.Context, string, bool) (int, error) {
	return 0, errStoreDown
}

const qaFile = "name: qa.one\nvendor: whippy\nsteps:\n  - {wait: 1s}\n"

// An upload or a delete the store refuses changes nothing; a stored
// upload that no longer loads is skipped at Open with a log line naming
// its file and scenario, and the others load.
func TestLibrary_UploadStore(t *testing.T) {
	ctx := context.Background()
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	st := &downStore{stored: []store.ScenarioUpload{
		{Seq: 1, File: "old.yaml", Body: []byte("name: qa.old\nsteps: [\n"), Names: []string{"qa.old"}},
		{Seq: 2, File: "ok.yaml", Body: []byte(qaFile), Names: []string{"qa.one"}},
		{Seq: 3, File: "mine.yaml", Body: []byte("name: whippy.sms.delivered\nsteps:\n  - {wait: 1s}\n"), Names: []string{"whippy.sms.delivered"}},
	}}
	if err := lib.Open(ctx, st, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	if sc, ok := lib.Get("qa.one"); !ok || sc.Source != "upload:ok.yaml" {
		t.Errorf("the good stored upload is not loaded: %+v", sc)
	}
	if sc, _ := lib.Get("whippy.sms.delivered"); sc.Source != "builtin/whippy.yaml" {
		t.Errorf("a stored upload replaced a built-in: %s", sc.Source)
	}
	sk := lib.Skipped()
	if len(sk) != 2 || sk[0].Name != "qa.old" || sk[1].Name != "whippy.sms.delivered" {
		t.Fatalf("skipped %+v, want qa.old and whippy.sms.delivered", sk)
	}
	for _, want := range []string{"file=old.yaml", "qa.old", "file=mine.yaml", "builtin/whippy.yaml"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not mention %q:\n%s", want, logs.String())
		}
	}

	if _, err := lib.Upload(ctx, "new.yaml", []byte(strings.Replace(qaFile, "qa.one", "qa.two", 1))); !errors.Is(err, errStoreDown) {
		t.Errorf("Upload with the store down: %v, want its error", err)
	}
	if _, ok := lib.Get("qa.two"); ok {
		t.Error("an upload the store refused was loaded")
	}
	if _, err := lib.Delete(ctx, "qa.one"); !errors.Is(err, errStoreDown) {
		t.Errorf("Delete with the store down: %v, want its error", err)
	}
	if _, ok := lib.Get("qa.one"); !ok {
		t.Error("a delete the store refused removed the scenario")
	}
	if _, err := lib.Delete(ctx, "qa.nope"); !errors.Is(err, scenarios.ErrUnknownScenario) {
		t.Errorf("Delete of no scenario: %v", err)
	}
	if _, err := lib.Delete(ctx, "whippy.sms.delivered"); !errors.Is(err, errStoreDown) {
		t.Errorf("Delete of the skipped upload of a built-in's name: %v, want the store's error (it is a stored upload)", err)
	}
	if _, err := lib.Delete(ctx, "whippy.email.delivered"); !errors.Is(err, scenarios.ErrNotUploaded) {
		t.Errorf("Delete of a built-in: %v, want ErrNotUploaded", err)
	}
}

// On a real store, a later upload takes a name over from an earlier one,
// whose file goes when it provides nothing more; a delete is kept.
func TestLibrary_UploadsReplaceByName(t *testing.T) {
	ctx := context.Background()
	db := store.New(filepath.Join(t.TempDir(), "lib.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	open := func() *scenarios.Library {
		lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
		if err != nil {
			t.Fatal(err)
		}
		if err := lib.Open(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		return lib
	}
	lib := open()
	two := qaFile + "---\n" + strings.Replace(qaFile, "qa.one", "qa.two", 1)
	if _, err := lib.Upload(ctx, "a.yaml", []byte(two)); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Upload(ctx, "b.yaml", []byte(qaFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Delete(ctx, "qa.two"); err != nil {
		t.Fatal(err)
	}
	ups, err := db.ScenarioUploads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 || ups[0].File != "b.yaml" || strings.Join(ups[0].Names, ",") != "qa.one" || ups[0].UploadedAt.IsZero() {
		t.Fatalf("stored %+v, want only b.yaml providing qa.one", ups)
	}
	again := open()
	if sc, ok := again.Get("qa.one"); !ok || sc.Source != "upload:b.yaml" || sc.UploadedAt.IsZero() {
		t.Errorf("qa.one after reopening: %+v", sc)
	}
	if _, ok := again.Get("qa.two"); ok {
		t.Error("a deleted upload came back")
	}
}
