package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// chromium is the browser the tests drive: Debian's package (.ci/run
// installs it when missing).
const chromium = "/usr/bin/chromium"

// browser is one headless Chromium for the whole test binary; each test
// opens tabs in it.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// mustBrowser returns the shared browser's context, starting it on first
// use. A missing Chromium fails the test: browser tests are never skipped.
func mustBrowser(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		path := chromium
		if _, err := os.Stat(path); err != nil {
			if p, lerr := exec.LookPath("chromium"); lerr == nil {
				path = p
			} else {
				browser.err = fmt.Errorf("no Chromium at %s or on PATH (apt-get install -y chromium): %v", chromium, err)
				return
			}
		}
		dir, err := os.MkdirTemp("", "vendorsim-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.UserDataDir(dir),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.WindowSize(1280, 900),
		)
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, bcancel := chromedp.NewContext(actx)
		if err := chromedp.Do(bctx); err != nil {
			bcancel()
			acancel()
			os.RemoveAll(dir)
			browser.err = fmt.Errorf("start %s: %w", path, err)
			return
		}
		browser.ctx = bctx
		browser.cancel = func() { bcancel(); acancel(); os.RemoveAll(dir) }
	})
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	return browser.ctx
}

// tab opens a new tab of the shared browser, closed when the test ends,
// with a generous overall deadline: conditions are waited for, never
// timed.
func tab(t *testing.T) context.Context {
	t.Helper()
	// Each tab has a browser context of its own: no cookie or storage is
	// shared with another test's tab.
	ctx, cancel := chromedp.NewContext(mustBrowser(t), chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancel() })
	return ctx
}

// run runs browser actions, failing the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one browser action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitJS polls a JavaScript condition until it is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))
}

// js evaluates an expression for its effect.
func js(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](expr)
}

// textOf reads an element's rendered text in one evaluation (live updates
// may replace the element between a query and a read).
func textOf(sel string) chromedp.Action[string] {
	return chromedp.Evaluate[string](`document.querySelector(` + jsString(sel) + `).innerText`)
}

// clickJS clicks an element of a list that live updates re-render, found
// and clicked in one evaluation.
func clickJS(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(css(sel)),
		js(`document.querySelector(`+jsString(sel)+`).click()`),
	)
}

// css is a CSS selector (the first match).
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// screenshot saves the page as .artifacts/screenshots/<name>.png at the
// repository's root (git-ignored).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	dir := filepath.Join("..", "..", ".artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkDOM applies checkHTML to the page as the script has built it (the
// live DOM's markup), not only as served.
func checkDOM(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	src := get(t, ctx, "the DOM of "+page, chromedp.Evaluate[string](`'<!DOCTYPE html>' + document.documentElement.outerHTML`))
	if errs := checkHTML(src); len(errs) > 0 {
		t.Errorf("%s: the DOM the script built breaks the rules:\n%s", page, strings.Join(errs, "\n"))
	}
}

// unnamedControls lists the page's visible controls without an accessible
// name (an approximation of the accessible-name computation: label,
// aria-label, aria-labelledby, title, text).
const unnamedControls = `(() => {
  const out = [];
  for (const e of document.querySelectorAll('button, a[href], input, select, textarea, [tabindex]:not([tabindex="-1"])')) {
    if (e.type === 'hidden' || e.closest('[hidden]') || e.closest('dialog:not([open])')) continue;
    const named = (e.getAttribute('aria-label') || '').trim() ||
      (e.getAttribute('aria-labelledby') || '').split(' ').map((id) => document.getElementById(id)).some((l) => l && l.textContent.trim()) ||
      (e.labels && [...e.labels].some((l) => l.textContent.trim())) ||
      (e.getAttribute('title') || '').trim() ||
      (!['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName) && e.textContent.trim());
    if (!named) out.push(e.outerHTML.slice(0, 120));
  }
  return out;
})()`

func checkNames(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	checkDOM(t, ctx, page)
	bad := get(t, ctx, "accessible names on "+page, chromedp.Evaluate[[]string](unnamedControls))
	if len(bad) > 0 {
		t.Errorf("%s: controls without an accessible name:\n%s", page, strings.Join(bad, "\n"))
	}
}

// fixture is a server with one workspace that has a webhook receiver and
// some traffic: a sent SMS (with its default timeline), a request that
// matches no route and one without credentials.
type fixture struct {
	s        *apptest.Server
	key      string
	channel  string
	message  string
	received atomic.Int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{key: "dashboard-test-key"}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.received.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(recv.Close)
	// Timelines play 50 times faster, so a scenario's steps land while the
	// page watches.
	f.s = apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Speed = 50 }))
	wh := f.s.Whippy(f.key)
	sb := f.s.Sandbox(http.Header{"X-Whippy-Key": {f.key}})
	apptest.Want(t, sb.Post(t, "/webhooks", map[string]any{"vendor": "whippy", "url": recv.URL + "/hooks"}), 201)
	ch := apptest.Want(t, wh.Get(t, "/channels"), 200).Map(t)
	f.channel = ch["data"].([]any)[0].(map[string]any)["phone"].(string)
	sent := apptest.Want(t, wh.Post(t, "/messaging/sms", map[string]any{"to": "+12065558001", "from": f.channel, "body": "Your interview is at 10"}), 201).Map(t)
	f.message = sent["data"].(map[string]any)["id"].(string)
	apptest.Want(t, wh.Get(t, "/no/such/route"), 404)
	apptest.Want(t, f.s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/whippy/v1/contacts"}), 401)
	apptest.Want(t, sb.Post(t, "/deliveries/flush", nil), 200)
	return f
}

func (f *fixture) workspace(t *testing.T) string {
	t.Helper()
	c := apptest.Want(t, f.s.Sandbox(http.Header{"X-Whippy-Key": {f.key}}).Get(t, "/clock"), 200).Map(t)
	return c["workspace_id"].(string)
}

// TestDashboard drives every page in a real browser against a real server.
func TestDashboard(t *testing.T) {
	f := newFixture(t)
	ws := f.workspace(t)
	ctx := tab(t)
	ui := f.s.URL + "/_sandbox/ui/"
	loaded := func(page string) chromedp.Action[chromedp.Void] {
		return waitJS(`document.body.dataset.loaded === ` + jsString(page))
	}
	// goPage switches pages as a click on a tab does (a same-document
	// navigation), and waits for the page's data.
	goPage := func(page string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(js(`location.hash = '#/`+page+`'`), loaded(page))
	}

	t.Run("Workspaces", func(t *testing.T) {
		run(t, ctx, "open workspaces",
			chromedp.Navigate(ui+"#/workspaces"),
			loaded("workspaces"),
			chromedp.WaitVisible(css(`#ws-rows tr[data-ws=`+jsString(ws)+`]`)),
			// Counts arrive after the list.
			waitJS(`[...document.querySelectorAll('#ws-rows tr[data-ws=`+jsString(ws)+`] td.num')].every((td) => /^\d+$/.test(td.textContent))`),
		)
		creds := get(t, ctx, "credentials", textOf(`#ws-rows tr[data-ws=`+jsString(ws)+`] td.mono`))
		if strings.Contains(creds, f.key) || !strings.Contains(creds, "whippy "+f.key[:4]+"…") {
			t.Errorf("credentials shown as %q; want redacted", creds)
		}
		checkNames(t, ctx, "workspaces")
		screenshot(t, ctx, "workspaces")
		// Pick it: every page now looks inside it.
		run(t, ctx, "pick", clickJS(`button[aria-label="Pick workspace `+ws+`"]`), waitJS(`document.getElementById('ws-select').value === `+jsString(ws)))
	})

	t.Run("Requests", func(t *testing.T) {
		run(t, ctx, "open requests",
			goPage("requests"),
			chromedp.WaitVisible(css(`#req-rows tr.flag-unrouted`)),
		)
		why := get(t, ctx, "unrouted why", textOf(`#req-rows tr.flag-unrouted .why`))
		if !strings.Contains(why, "Matched no operation") {
			t.Errorf("unrouted request explained as %q", why)
		}
		checkNames(t, ctx, "requests")
		screenshot(t, ctx, "requests")
		run(t, ctx, "filter by operation",
			chromedp.SetValue(css(`#rf-operation`), "sendSms"),
			chromedp.Click(css(`#req-filter button[type=submit]`)),
			waitJS(`(() => { const rows = [...document.querySelectorAll('#req-rows tr')]; return rows.length === 1 && rows[0].textContent.includes('sendSms'); })()`),
			clickJS(`#req-rows tr .row-open`),
			chromedp.WaitVisible(css(`#req-detail`)),
		)
		var sent struct {
			Data []struct {
				RequestID string `json:"request_id"`
			} `json:"data"`
		}
		apptest.Want(t, f.s.Sandbox(http.Header{"X-Whippy-Key": {f.key}}).Get(t, "/requests?operation_id=sendSms"), 200).JSON(t, &sent)
		detail := get(t, ctx, "request detail", textOf(`#req-detail`))
		for _, want := range []string{"POST /whippy/v1/messaging/sms → 201", `"body": "Your interview is at 10"`, f.message, "curl -X POST",
			"X-Request-Id: " + sent.Data[0].RequestID, "Content-Type: application/json"} {
			if !strings.Contains(detail, want) {
				t.Errorf("request detail lacks %q:\n%s", want, detail)
			}
		}
		if strings.Contains(detail, f.key) {
			t.Errorf("request detail shows the API key in full")
		}
		screenshot(t, ctx, "request")
		// Copy as curl: what reaches the clipboard, with the key put back,
		// makes the same request again.
		run(t, ctx, "copy as curl",
			js(`window.copied = null; navigator.clipboard.writeText = (t) => { window.copied = t; return Promise.resolve(); }`),
			chromedp.Click(css(`#req-curl`)),
			waitJS(`window.copied !== null && [...document.querySelectorAll('#toast div')].some((d) => d.textContent === 'Copied as curl')`),
		)
		curl := get(t, ctx, "copied", chromedp.Evaluate[string](`window.copied`))
		if !strings.HasPrefix(curl, "# credentials are shown redacted") || !strings.Contains(curl, "curl -X POST '"+f.s.URL+"/whippy/v1/messaging/sms'") || strings.Contains(curl, f.key) {
			t.Errorf("copied as curl:\n%s", curl)
		}
		redacted := f.key[:4] + "…" + f.key[len(f.key)-4:]
		if !strings.Contains(curl, redacted) {
			t.Fatalf("the copied command has no redacted key %q:\n%s", redacted, curl)
		}
		out, err := exec.Command("bash", "-c", strings.ReplaceAll(curl, redacted, f.key)+" -s -o /dev/null -w '%{http_code}'").CombinedOutput()
		if err != nil || string(out) != "201" {
			t.Errorf("the copied command, key put back: %v %s", err, out)
		}
		// The HAR download holds the rows shown (the command's request is
		// one more), from the server's export (GET /requests?format=har),
		// answer headers included.
		run(t, ctx, "HAR",
			waitJS(`document.querySelectorAll('#req-rows tr').length === 2`),
			js(`window.saved = null; download = (name, text) => { window.saved = { name, text }; }`),
			chromedp.Click(css(`#req-har`)),
			waitJS(`window.saved !== null && [...document.querySelectorAll('#toast div')].some((d) => d.textContent.startsWith('HAR of 2 requests downloaded') && !d.textContent.includes('built in the browser'))`),
		)
		var har struct {
			Log struct {
				Creator struct{ Name string }
				Entries []struct {
					Request  struct{ Method, URL string }
					Response struct {
						Status  int
						Headers []struct{ Name, Value string }
					}
				}
			}
		}
		saved := get(t, ctx, "saved HAR", chromedp.Evaluate[string](`window.saved.name + '\n' + window.saved.text`))
		name, text, _ := strings.Cut(saved, "\n")
		if err := json.Unmarshal([]byte(text), &har); err != nil {
			t.Fatalf("the HAR download is not JSON: %v", err)
		}
		if name != "vendorsim-"+ws+".har" || har.Log.Creator.Name != "vendorsim" || len(har.Log.Entries) != 2 {
			t.Fatalf("HAR download %s: %+v", name, har)
		}
		hasID := false
		for _, e := range har.Log.Entries {
			if e.Request.Method != "POST" || e.Request.URL != f.s.URL+"/whippy/v1/messaging/sms" || e.Response.Status != 201 {
				t.Errorf("HAR entry %+v; want the sendSms rows shown", e)
			}
			for _, h := range e.Response.Headers {
				hasID = hasID || h.Name == "X-Request-Id" && h.Value == sent.Data[0].RequestID
			}
		}
		if !hasID {
			t.Errorf("the HAR's answers lack the X-Request-Id of the first send: %+v", har.Log.Entries)
		}
		// Escape closes the panel and gives focus back to the row.
		run(t, ctx, "escape", chromedp.KeyEvent("\x1b"), waitJS(`document.getElementById('req-detail').hidden && document.activeElement.classList.contains('row-open')`))
		// The other filters: each state differs from the one before.
		filter := func(what, set, cond string) {
			t.Helper()
			run(t, ctx, what,
				js(`(() => { const f = document.getElementById('req-filter'); f.reset(); `+set+`; f.querySelector('button[type=submit]').click(); })()`),
				waitJS(`(() => { const rows = [...document.querySelectorAll('#req-rows tr')]; return `+cond+`; })()`))
		}
		filter("method", `document.getElementById('rf-method').value = 'GET'`,
			`rows.length === 2 && rows.every((r) => r.querySelector('.path strong').textContent === 'GET')`)
		filter("path prefix and method", `document.getElementById('rf-method').value = 'GET'; document.getElementById('rf-path').value = '/whippy/v1/no/*'`,
			`rows.length === 1 && rows[0].classList.contains('flag-unrouted')`)
		filter("status", `document.getElementById('rf-status').value = '201'`,
			`rows.length === 2 && rows.every((r) => r.textContent.includes('sendSms'))`)
		filter("vendor", `document.getElementById('rf-vendor').value = 'zipwhip'`,
			`rows.length === 1 && rows[0].textContent.includes('No requests match')`)
		filter("since", `document.getElementById('rf-since').value = '2099-01-01T00:00:00'`,
			`rows.length === 1 && rows[0].textContent.includes('No requests match') && document.getElementById('req-info').textContent === '0–0 of 0'`)
		filter("since the past", `document.getElementById('rf-since').value = '2000-01-01T00:00:00'`,
			`rows.length === 4`)
		// The request without credentials has no workspace: seen among all,
		// marked as failed authentication, with why.
		run(t, ctx, "all workspaces", js(`pickWorkspace('')`), chromedp.WaitVisible(css(`#req-rows tr.flag-unauth`)))
		unauth := get(t, ctx, "auth failed", textOf(`#req-rows tr.flag-unauth`))
		if !strings.Contains(unauth, "/whippy/v1/contacts") || !strings.Contains(unauth, "Authentication failed: Not authenticated") {
			t.Errorf("the unauthenticated request shown as %q", unauth)
		}
		run(t, ctx, "back to the workspace", js(`pickWorkspace(`+jsString(ws)+`)`), waitJS(`document.querySelector('#req-rows tr.flag-unauth') === null`))
		// A narrow window still works.
		run(t, ctx, "narrow", chromedp.EmulateViewport(800, 900), chromedp.Click(css(`#rf-clear`)), waitJS(`document.querySelectorAll('#req-rows tr').length >= 3`))
		screenshot(t, ctx, "requests-narrow")
		run(t, ctx, "wide again", chromedp.EmulateViewport(1280, 900))
	})

	t.Run("Deliveries", func(t *testing.T) {
		run(t, ctx, "open deliveries",
			goPage("deliveries"),
			chromedp.WaitVisible(css(`#dl-rows tr[data-id] .row-open`)),
		)
		first := get(t, ctx, "open the newest delivery with an attempt",
			chromedp.Evaluate[string](`(() => { const tr = [...document.querySelectorAll('#dl-rows tr[data-id]')].find((tr) => tr.cells[5].textContent !== '0'); tr.querySelector('.row-open').click(); return tr.dataset.id; })()`))
		run(t, ctx, "the delivery's attempts and timeline",
			chromedp.WaitVisible(css(`#dl-detail details.attempt`)),
			// The timeline shows the send and the events.
			waitJS(`document.querySelector('#dl-timeline .t-send') !== null && document.querySelectorAll('#dl-timeline .t-status').length >= 1 && document.querySelectorAll('#dl-timeline .t-ok').length >= 1`),
		)
		checkNames(t, ctx, "deliveries")
		screenshot(t, ctx, "deliveries")
		before := f.received.Load()
		run(t, ctx, "replay",
			chromedp.Click(css(`#dl-replay`)),
			// The new delivery opens, and its first attempt appears when the
			// dispatcher has made it.
			waitJS(`(() => { const t = document.getElementById('dl-detail-title').textContent; return !t.startsWith('Delivery #`+first+`:') && document.querySelector('#dl-detail-body .kv') && document.querySelector('#dl-detail details.attempt[data-n="1"] .b-ok') !== null; })()`),
		)
		detail := get(t, ctx, "replay detail", textOf(`#dl-detail`))
		if !strings.Contains(detail, "#"+first) {
			t.Errorf("the replay does not say it replays #%s:\n%s", first, detail)
		}
		if f.received.Load() <= before {
			t.Errorf("the receiver got no new delivery after the replay")
		}
		screenshot(t, ctx, "delivery-replayed")
	})

	t.Run("Scenarios", func(t *testing.T) {
		sb := f.s.Sandbox(http.Header{"X-Whippy-Key": {f.key}})
		// A run a script starts (far ahead, so it is still running) is listed.
		var scripted struct{ ID string }
		apptest.Want(t, sb.Post(t, "/scenarios/whippy.sms.failed/run", map[string]any{"params": map[string]any{"message_id": f.message}, "start_at": "2099-01-01T00:00:00Z"}), 202).JSON(t, &scripted)
		run(t, ctx, "open scenarios",
			goPage("scenarios"),
			chromedp.WaitVisible(css(`#sc-library .card`)),
			chromedp.WaitVisible(css(`#sc-runs .run[data-run="`+scripted.ID+`"][data-state="running"]`)),
		)
		run(t, ctx, "cancel the scripted run",
			clickJS(`button[aria-label="Cancel run `+scripted.ID+`"]`),
			waitJS(`document.querySelector('#sc-runs .run[data-run="`+scripted.ID+`"][data-state="cancelled"]') !== null`),
		)
		var got struct{ State string }
		apptest.Want(t, sb.Get(t, "/scenarios/runs/"+scripted.ID), 200).JSON(t, &got)
		if got.State != "cancelled" {
			t.Errorf("after Cancel on the page the run is %q on the server", got.State)
		}
		newest := get(t, ctx, "newest event", chromedp.Evaluate[int](`Math.max(0, ...[...document.querySelectorAll('#sc-events li[data-id]')].map((li) => Number(li.dataset.id)))`))
		run(t, ctx, "run a scenario",
			chromedp.SetValue(css(`#sc-name`), "whippy.sms.delivered"),
			js(`document.getElementById('sc-name').dispatchEvent(new Event('change'))`),
			chromedp.WaitVisible(css(`#sc-param-message_id`)),
			chromedp.SetValue(css(`#sc-param-message_id`), f.message),
			chromedp.Click(css(`#sc-run`)),
			// The run's steps and their webhooks arrive live, with no reload:
			// a delivery newer than any listed before, of the run's last step.
			waitJS(`[...document.querySelectorAll('#sc-runs .run[data-state="done"] h3')].some((h) => h.textContent.startsWith('whippy.sms.delivered'))`),
			waitJS(`[...document.querySelectorAll('#sc-events li[data-id]')].some((li) => Number(li.dataset.id) > `+fmt.Sprint(newest)+` && li.dataset.event === 'message.updated' && li.textContent.includes('→ delivered'))`),
		)
		checkNames(t, ctx, "scenarios")
		screenshot(t, ctx, "scenarios")
	})

	t.Run("Clock", func(t *testing.T) {
		run(t, ctx, "open clock",
			goPage("clock"),
			waitJS(`document.getElementById('ck-now').textContent !== '–'`),
			chromedp.Click(css(`button[data-by="72h"]`)),
			waitJS(`document.getElementById('ck-offset').textContent.startsWith('3d')`),
			waitJS(`document.getElementById('ck-ran').textContent.startsWith('advanced by 72h')`),
		)
		c := apptest.Want(t, f.s.Sandbox(http.Header{"X-Whippy-Key": {f.key}}).Get(t, "/clock"), 200).Map(t)
		if off := c["offset_seconds"].(float64); off < 72*3600 {
			t.Errorf("the workspace's clock is %vs ahead after the page advanced it by 72h", off)
		}
		// Freeze, then let it run again, through the page.
		frozen := func(want bool) {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second)
			for {
				c := apptest.Want(t, f.s.Sandbox(http.Header{"X-Whippy-Key": {f.key}}).Get(t, "/clock"), 200).Map(t)
				if c["frozen"] == want {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the clock's frozen is %v, want %v after the page's button", c["frozen"], want)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		run(t, ctx, "freeze", chromedp.Click(css(`#ck-freeze`)))
		frozen(true)
		run(t, ctx, "resume", chromedp.Click(css(`#ck-unfreeze`)))
		frozen(false)
		speed := func(want float64) {
			t.Helper()
			c := apptest.Want(t, f.s.Sandbox(http.Header{"X-Whippy-Key": {f.key}}).Get(t, "/clock"), 200).Map(t)
			if c["speed"] != want {
				t.Errorf("the clock's speed is %v, want %v after the page set it", c["speed"], want)
			}
		}
		run(t, ctx, "set speed",
			chromedp.SetValue(css(`#ck-speed`), "2"),
			chromedp.Click(css(`#ck-speed-form button[type=submit]`)),
			waitJS(`document.getElementById('ck-speed-note').textContent.includes('Speed 2×.')`))
		speed(2)
		run(t, ctx, "real time again",
			chromedp.SetValue(css(`#ck-speed`), "1"),
			chromedp.Click(css(`#ck-speed-form button[type=submit]`)),
			waitJS(`!document.getElementById('ck-speed-note').textContent.includes('Speed')`))
		speed(1)
		checkNames(t, ctx, "clock")
		screenshot(t, ctx, "clock")
	})

	t.Run("Phone", func(t *testing.T) {
		// A text the contact sent through a script, not this page.
		apptest.Want(t, f.s.Sandbox(http.Header{"X-Whippy-Key": {f.key}}).Post(t, "/whippy/inbound", map[string]any{"from": "+12065558001", "to": f.channel, "body": "Sent by a script"}), 201)
		run(t, ctx, "open phone",
			goPage("phone"),
			chromedp.SetValue(css(`#ph-from`), "+12065558001"),
			chromedp.SetValue(css(`#ph-to`), f.channel),
			js(`document.getElementById('ph-from').dispatchEvent(new Event('change'))`),
			// What the app sent the contact, and what the contact sent, are
			// in the conversation.
			waitJS(`document.getElementById('ph-convo').textContent.includes('Your interview is at 10') && document.querySelector('#ph-convo li.mine') !== null && document.querySelector('#ph-convo li.mine').textContent.startsWith('Sent by a script')`),
			chromedp.Click(css(`#ph-stop`)),
			chromedp.WaitVisible(css(`#ph-optout`)),
		)
		optout := get(t, ctx, "opt-out", textOf(`#ph-optout`))
		if !strings.Contains(optout, "Opted out") {
			t.Errorf("opt-out shown as %q", optout)
		}
		// The server agrees: the contact is opted out of the channel.
		contacts := apptest.Want(t, f.s.Whippy(f.key).Get(t, "/contacts?limit=50"), 200).Map(t)["data"].([]any)
		optedOut := false
		for _, c := range contacts {
			c := c.(map[string]any)
			if c["phone"] != "+12065558001" {
				continue
			}
			for _, p := range c["communication_preferences"].([]any) {
				optedOut = optedOut || p.(map[string]any)["opt_in"] == false
			}
		}
		if !optedOut {
			t.Errorf("after STOP from the phone the contact is not opted out: %v", contacts)
		}
		checkNames(t, ctx, "phone")
		screenshot(t, ctx, "phone")
		// Another tab (no storage shared) sees the same conversation and
		// opt-out: they come from the server.
		other := tab(t)
		run(t, other, "the phone in another tab",
			chromedp.Navigate(f.s.URL+"/_sandbox/ui/#/workspaces"),
			waitJS(`document.body.dataset.loaded === "workspaces"`),
			js(`pickWorkspace(`+jsString(ws)+`, 'phone')`),
			waitJS(`document.body.dataset.loaded === "phone"`),
			chromedp.SetValue(css(`#ph-from`), "+12065558001"),
			js(`document.getElementById('ph-from').dispatchEvent(new Event('change'))`),
			waitJS(`(() => { const mine = [...document.querySelectorAll('#ph-convo li.mine')].map((li) => li.textContent); return mine.length === 2 && mine[0].startsWith('Sent by a script') && mine[1].startsWith('STOP') && mine[1].includes('opted out'); })()`),
			chromedp.WaitVisible(css(`#ph-optout`)),
		)
	})

	t.Run("Room", func(t *testing.T) {
		auth := http.Header{"Authorization": {"Bearer dashboard-whereby-key"}}
		m := apptest.Want(t, f.s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/whereby/v1/meetings", Header: auth,
			Body: map[string]any{"endDate": "2099-01-01T00:00:00Z", "roomNamePrefix": "dash"}}), 201).Map(t)
		meeting := m["meetingId"].(string)
		auth.Set("X-Sandbox-Vendor", "whereby")
		wws := apptest.Want(t, f.s.Sandbox(auth).Get(t, "/clock"), 200).Map(t)["workspace_id"].(string)
		run(t, ctx, "join and leave",
			js(`pickWorkspace(`+jsString(wws)+`, 'room')`),
			loaded("room"),
			chromedp.SetValue(css(`#rm-meeting`), meeting),
			chromedp.SetValue(css(`#rm-name`), "Gus"),
			chromedp.Click(css(`#rm-form button[type=submit]`)),
			waitJS(`document.getElementById('rm-room').textContent.includes('Gus')`),
		)
		checkNames(t, ctx, "room")
		screenshot(t, ctx, "room")
		run(t, ctx, "leave",
			clickJS(`button[aria-label="Leave: Gus"]`),
			waitJS(`document.getElementById('rm-room').textContent.includes('Nobody is in the room.')`),
		)
		// A knock is seen and let in (the knocker is then a participant);
		// another knocker gives up.
		room := func() map[string]any {
			return apptest.Want(t, f.s.Sandbox(auth).Get(t, "/whereby/meetings/"+meeting+"/room"), 200).Map(t)
		}
		run(t, ctx, "knock and let in",
			chromedp.SetValue(css(`#rm-name`), "Kim"),
			chromedp.Click(css(`#rm-knock`)),
			chromedp.WaitVisible(css(`button[aria-label="Let in: Kim"]`)),
			clickJS(`button[aria-label="Let in: Kim"]`),
			waitJS(`document.getElementById('rm-status').textContent === 'Kim was let in' && document.querySelector('button[aria-label="Leave: Kim"]') !== null && document.querySelector('button[aria-label="Let in: Kim"]') === null`),
		)
		if r := room(); len(r["knocks"].([]any)) != 0 || len(r["participants"].([]any)) != 1 {
			t.Errorf("after letting Kim in the room is %v, want one participant and no knock", r)
		}
		run(t, ctx, "knock and give up",
			chromedp.SetValue(css(`#rm-name`), "Lee"),
			chromedp.Click(css(`#rm-knock`)),
			chromedp.WaitVisible(css(`button[aria-label="Stop knocking: Lee"]`)),
			clickJS(`button[aria-label="Stop knocking: Lee"]`),
			waitJS(`document.getElementById('rm-status').textContent === 'Lee gave up' && document.getElementById('rm-room').textContent.includes('Nobody is knocking.')`),
		)
		if r := room(); len(r["knocks"].([]any)) != 0 || len(r["participants"].([]any)) != 1 {
			t.Errorf("after Lee gave up the room is %v, want Kim alone and no knock", r)
		}
		screenshot(t, ctx, "room-knocks")
		run(t, ctx, "back", js(`pickWorkspace(`+jsString(ws)+`)`))
	})

	t.Run("Faults", func(t *testing.T) {
		sb := f.s.Sandbox(http.Header{"X-Whippy-Key": {f.key}})
		count := func(path string) int {
			var l struct {
				Data []map[string]any `json:"data"`
			}
			apptest.Want(t, sb.Get(t, path), 200).JSON(t, &l)
			return len(l.Data)
		}
		// The forms' example rules are valid rules of the control API.
		run(t, ctx, "add a fault and a chaos rule",
			goPage("faults"),
			chromedp.Click(css(`#fl-fault-form button[type=submit]`)),
			waitJS(`document.querySelectorAll('#fl-faults li, #fl-faults tr').length > 0`),
			chromedp.Click(css(`#fl-chaos-form button[type=submit]`)),
			waitJS(`document.querySelectorAll('#fl-chaos li, #fl-chaos tr').length > 0`),
		)
		if n, m := count("/faults"), count("/chaos"); n != 1 || m != 1 {
			t.Errorf("after the forms: %d fault rules and %d chaos rules, want 1 and 1", n, m)
		}
		checkNames(t, ctx, "faults")
		screenshot(t, ctx, "faults")
		run(t, ctx, "clear them",
			chromedp.Click(css(`#fl-fault-clear`)),
			chromedp.Click(css(`#fl-chaos-clear`)),
			waitJS(`document.querySelectorAll('#fl-faults li, #fl-faults tr, #fl-chaos li, #fl-chaos tr').length === 0`),
		)
		if n, m := count("/faults"), count("/chaos"); n != 0 || m != 0 {
			t.Errorf("after clearing: %d fault rules and %d chaos rules, want none", n, m)
		}
	})

	t.Run("Keyboard", func(t *testing.T) {
		run(t, ctx, "to workspaces", goPage("workspaces"))
		run(t, ctx, "2 opens requests", chromedp.KeyEvent("2"), loaded("requests"))
		run(t, ctx, "j focuses a row", chromedp.KeyEvent("j"), waitJS(`document.activeElement.classList.contains('row-open')`))
		run(t, ctx, "Enter opens it", chromedp.KeyEvent("\r"), chromedp.WaitVisible(css(`#req-detail`)))
		run(t, ctx, "c copies it as curl",
			js(`window.copied = null; navigator.clipboard.writeText = (t) => { window.copied = t; return Promise.resolve(); }`),
			chromedp.KeyEvent("c"),
			waitJS(`window.copied !== null && window.copied.includes('curl -X ')`))
		run(t, ctx, "Escape closes it", chromedp.KeyEvent("\x1b"), waitJS(`document.getElementById('req-detail').hidden`))
		// More than a page of requests: ] and [ page through them.
		for range 55 {
			apptest.Want(t, f.s.Whippy(f.key).Get(t, "/channels"), 200)
		}
		run(t, ctx, "r reloads",
			js(`window.fetches = 0; if (!window.realFetch) { window.realFetch = window.fetch; window.fetch = (...a) => { if (String(a[0]).includes('/requests')) window.fetches++; return window.realFetch(...a); }; }`),
			chromedp.KeyEvent("r"),
			waitJS(`window.fetches > 0 && /^1–50 of \d+$/.test(document.getElementById('req-info').textContent)`))
		run(t, ctx, "] shows the next page", chromedp.KeyEvent("]"), waitJS(`document.getElementById('req-info').textContent.startsWith('51–')`))
		run(t, ctx, "[ shows the previous page", chromedp.KeyEvent("["), waitJS(`document.getElementById('req-info').textContent.startsWith('1–50 ')`))
		run(t, ctx, "/ focuses the first filter", chromedp.KeyEvent("/"), waitJS(`document.activeElement.id === 'rf-vendor'`))
		run(t, ctx, "Escape leaves the field", chromedp.KeyEvent("\x1b"), waitJS(`document.activeElement === document.body`))
		run(t, ctx, "w focuses the workspace", chromedp.KeyEvent("w"), waitJS(`document.activeElement.id === 'ws-select'`))
		run(t, ctx, "Escape leaves it", chromedp.KeyEvent("\x1b"), waitJS(`document.activeElement === document.body`))
		run(t, ctx, "3 opens deliveries", chromedp.KeyEvent("3"), loaded("deliveries"))
		run(t, ctx, "f flushes", chromedp.KeyEvent("f"), waitJS(`[...document.querySelectorAll('#toast div')].some((d) => d.textContent.startsWith('Flushed: '))`))
		before := f.received.Load()
		run(t, ctx, "j, Enter, p replays",
			chromedp.KeyEvent("j"), waitJS(`document.activeElement.classList.contains('row-open')`),
			chromedp.KeyEvent("\r"), chromedp.WaitVisible(css(`#dl-detail`)),
			waitJS(`document.activeElement.id === 'dl-replay'`),
			js(`document.activeElement.blur()`),
			chromedp.KeyEvent("p"),
			waitJS(`[...document.querySelectorAll('#toast div')].some((d) => d.textContent.startsWith('Replayed as delivery #'))`))
		for deadline := time.Now().Add(30 * time.Second); f.received.Load() <= before; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("p replayed nothing to the receiver")
			}
		}
		run(t, ctx, "? shows the keys", chromedp.KeyEvent("?"), chromedp.WaitVisible(css(`#help`)))
	})
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestDashboard_ControlToken: with a control token, the page asks for it,
// then loads, and its calls to the control API carry it.
func TestDashboard_ControlToken(t *testing.T) {
	const token = "dashboard-control-token"
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Server.ControlToken = token }))
	// Traffic to see once in.
	apptest.Want(t, s.Whippy("token-test-key").Get(t, "/channels"), 200)
	ctx := tab(t)
	run(t, ctx, "token form, then the dashboard",
		chromedp.Navigate(s.URL+"/_sandbox/ui/#/requests"),
		chromedp.WaitVisible(css(`#login-token`)),
		chromedp.SetValue(css(`#login-token`), token),
		chromedp.Click(css(`#login-form button[type=submit]`)),
	)
	// The form reloads the page: a wait that began before the reload
	// loses its document ("Cannot find context", "target navigated"), so
	// it is begun again until one runs in the new page (bounded by the
	// tab's deadline, which ends the loop with the last error).
	for {
		err := chromedp.Do(ctx, waitJS(`document.body.dataset.loaded === "requests"`))
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("after the token form: %v", err)
		}
	}
	run(t, ctx, "the dashboard with the token",
		waitJS(`document.getElementById('req-rows').textContent.includes('/whippy/v1/channels')`),
		waitJS(`document.getElementById("live").textContent === "live"`),
	)
	screenshot(t, ctx, "token")
}

// TestDashboard_ZipwhipPhone: the phone texts a Zipwhip line. The
// conversation shows what the app sent the contact with message/send (a
// form POST and a GET), not what it sent another number; STOP opts the
// contact out, on the page and in the vendor's optout/change webhook.
func TestDashboard_ZipwhipPhone(t *testing.T) {
	hooks := make(chan string, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hooks <- r.URL.Path + " " + string(b)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(recv.Close)
	s := apptest.New(t)
	zw := func(method, path string, v url.Values) map[string]any {
		t.Helper()
		req := apptest.Request{Method: method, Path: "/zipwhip/" + path}
		if method == http.MethodGet {
			req.Path += "?" + v.Encode()
		} else {
			req.Body = v.Encode()
			req.Header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		}
		m := apptest.Want(t, s.Do(t, req), 200).Map(t)
		if m["success"] != true {
			t.Fatalf("%s: %v", path, m)
		}
		return m
	}
	session := zw(http.MethodPost, "user/login", url.Values{"username": {"2065557300"}, "password": {"pw"}})["response"].(string)
	zw(http.MethodPost, "webhook/install", url.Values{"session": {session}, "type": {"optout"}, "event": {"change"}, "url": {recv.URL + "/optout/change"}, "method": {"POST"}})
	zw(http.MethodPost, "message/send", url.Values{"session": {session}, "contacts": {"+12065557301"}, "body": {"Hello from the app"}})
	zw(http.MethodGet, "message/send", url.Values{"session": {session}, "contacts": {"2065557302,ptn:/2065557301"}, "body": {"Second, by GET"}})
	zw(http.MethodPost, "message/send", url.Values{"session": {session}, "contacts": {"+12065557302"}, "body": {"Not for this contact"}})
	ws := apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/_sandbox/clock?session=" + url.QueryEscape(session)}), 200).Map(t)["workspace_id"].(string)
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/_sandbox/zipwhip/inbound?session=" + url.QueryEscape(session),
		Body: map[string]any{"from": "+12065557301", "body": "A script texted this"}}), 201)

	ctx := tab(t)
	run(t, ctx, "the Zipwhip phone",
		chromedp.Navigate(s.URL+"/_sandbox/ui/#/workspaces"),
		waitJS(`document.body.dataset.loaded === "workspaces"`),
		js(`pickWorkspace(`+jsString(ws)+`, 'phone')`),
		waitJS(`document.body.dataset.loaded === "phone"`),
		chromedp.SetValue(css(`#ph-vendor`), "zipwhip"),
		chromedp.SetValue(css(`#ph-from`), "+12065557301"),
		chromedp.SetValue(css(`#ph-to`), "+12065557300"),
		js(`document.getElementById('ph-vendor').dispatchEvent(new Event('change'))`),
		waitJS(`document.getElementById('ph-convo').textContent.includes('Hello from the app') && document.getElementById('ph-convo').textContent.includes('Second, by GET')`),
		waitJS(`[...document.querySelectorAll('#ph-convo li.mine')].some((li) => li.textContent.startsWith('A script texted this'))`),
	)
	if convo := get(t, ctx, "conversation", textOf(`#ph-convo`)); strings.Contains(convo, "Not for this contact") {
		t.Errorf("the conversation shows a text sent to another number:\n%s", convo)
	}
	run(t, ctx, "STOP", chromedp.Click(css(`#ph-stop`)), chromedp.WaitVisible(css(`#ph-optout`)))
	if optout := get(t, ctx, "opt-out", textOf(`#ph-optout`)); !strings.Contains(optout, "Opted out: +12065557301") || !strings.Contains(optout, "line") {
		t.Errorf("opt-out shown as %q", optout)
	}
	// The vendor agrees: its optout/change webhook says STOP for the contact.
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/_sandbox/deliveries/flush?session=" + url.QueryEscape(session)}), 200)
	select {
	case h := <-hooks:
		if !strings.Contains(h, `"contact":"+12065557301"`) || !strings.Contains(h, `"type":"STOP"`) {
			t.Errorf("optout/change delivered %s", h)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no optout/change webhook after STOP from the phone")
	}
	checkNames(t, ctx, "phone-zipwhip")
	screenshot(t, ctx, "phone-zipwhip")
}

// TestDashboard_Retries: a delivery whose endpoint answers 500 twice, then
// 200. The list shows its Next retry while it waits; its timeline shows
// the send, the failed attempts, the retries and the success, read from
// the server even when more than 500 newer deliveries and requests are
// stored.
func TestDashboard_Retries(t *testing.T) {
	var failed atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"queued"`) && failed.Load() < 2 {
			failed.Add(1)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(recv.Close)
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	const key = "dashboard-retries-key"
	wh := s.Whippy(key)
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	apptest.Want(t, sb.Post(t, "/webhooks", map[string]any{"vendor": "whippy", "url": recv.URL + "/hooks", "events": []string{"message.created"}}), 201)
	channel := apptest.Want(t, wh.Get(t, "/channels"), 200).Map(t)["data"].([]any)[0].(map[string]any)["phone"].(string)
	sent := apptest.Want(t, wh.Post(t, "/messaging/sms", map[string]any{"to": "+12065558301", "from": channel, "body": "Retry me"}), 201)
	msg, sendID := sent.Map(t)["data"].(map[string]any)["id"].(string), sent.Header.Get("X-Request-Id")
	var list struct {
		Data []struct {
			ID       int64  `json:"id"`
			State    string `json:"state"`
			Attempts int    `json:"attempts"`
		} `json:"data"`
	}
	apptest.Want(t, sb.Get(t, "/deliveries?subject="+msg), 200).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].State != "pending" || list.Data[0].Attempts != 0 {
		t.Fatalf("the message's deliveries are %+v, want one pending, not attempted (manual mode)", list.Data)
	}
	id := fmt.Sprint(list.Data[0].ID)
	ws := apptest.Want(t, sb.Get(t, "/clock"), 200).Map(t)["workspace_id"].(string)

	ctx := tab(t)
	// Flush sends what is due: the first attempt, answered 500.
	run(t, ctx, "flush, and the pending delivery's Next retry",
		chromedp.Navigate(s.URL+"/_sandbox/ui/#/workspaces"),
		waitJS(`document.body.dataset.loaded === "workspaces"`),
		js(`pickWorkspace(`+jsString(ws)+`, 'deliveries')`),
		waitJS(`document.body.dataset.loaded === "deliveries"`),
		chromedp.WaitVisible(css(`#dl-rows tr[data-id="`+id+`"]`)),
		chromedp.Click(css(`#dl-flush`)),
		waitJS(`[...document.querySelectorAll('#toast div')].some((d) => d.textContent.startsWith('Flushed: ') && d.textContent.includes('1 failed'))`),
		waitJS(`document.querySelector('#dl-rows tr[data-id="`+id+`"]').cells[5].textContent === '1'`),
	)
	apptest.Want(t, sb.Get(t, "/deliveries?subject="+msg), 200).JSON(t, &list)
	if list.Data[0].State != "pending" || list.Data[0].Attempts != 1 || failed.Load() != 1 {
		t.Fatalf("after Flush the delivery is %+v (%d answered 500), want pending after one failed attempt", list.Data, failed.Load())
	}
	next := get(t, ctx, "Next retry cell", chromedp.Evaluate[string](`(() => { const c = document.querySelector('#dl-rows tr[data-id="`+id+`"]').cells[7]; const t = c.querySelector('time'); return t ? t.getAttribute('datetime') : c.textContent; })()`))
	if _, err := time.Parse(time.RFC3339Nano, next); err != nil {
		t.Errorf("the Next retry cell of a pending delivery is %q, want its due time", next)
	}
	screenshot(t, ctx, "deliveries-retry")
	// The retries: 500, then 200.
	for range 3 {
		apptest.Want(t, sb.Post(t, "/clock/advance", map[string]any{"by": "1h"}), 200)
	}
	apptest.Want(t, sb.Get(t, "/deliveries?subject="+msg), 200).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].State != "delivered" || list.Data[0].Attempts != 3 {
		t.Fatalf("after advancing the message's deliveries are %+v, want one delivered at its third attempt", list.Data)
	}
	// More than 500 newer deliveries and requests of the vendor.
	for i := range 510 {
		apptest.Want(t, sb.Post(t, "/whippy/inbound", map[string]any{"from": fmt.Sprintf("+1206555%04d", 1000+i), "to": channel, "body": "flood"}), 201)
		apptest.Want(t, wh.Get(t, "/channels"), 200)
	}
	var newer struct {
		Total int `json:"total"`
	}
	apptest.Want(t, sb.Get(t, "/deliveries?limit=1&vendor=whippy"), 200).JSON(t, &newer)
	count := apptest.Want(t, sb.Get(t, "/requests/count?vendor=whippy"), 200).Map(t)["count"].(float64)
	if newer.Total < 511 || count < 512 {
		t.Fatalf("after the flood: %d deliveries and %v requests of the vendor, want more than 500 newer than the message's", newer.Total, count)
	}
	// The page's calls, to see how it finds the send.
	run(t, ctx, "watch the page's calls",
		js(`(() => { window.calls = []; const f = window.fetch; window.fetch = (u, init) => { window.calls.push(((init && init.method) || 'GET') + ' ' + u); return f(u, init); }; })()`))
	run(t, ctx, "the delivery's timeline",
		js(`deliveriesPage.open(`+id+`)`),
		chromedp.WaitVisible(css(`#dl-detail details.attempt[data-n="3"]`)),
		waitJS(`document.querySelectorAll('#dl-timeline .t-bad').length === 2 && document.querySelectorAll('#dl-timeline .t-ok').length === 1 && document.querySelector('#dl-timeline .t-send') !== null`),
	)
	timeline := get(t, ctx, "timeline", textOf(`#dl-timeline`))
	// The send's event names its request: the page looks it up by id, and
	// does not search the journal.
	calls := get(t, ctx, "the page's calls", chromedp.Evaluate[string](`window.calls.join('\n')`))
	if !strings.Contains(calls, "GET /_sandbox/requests?request_id="+sendID) || strings.Contains(calls, "/requests/search") {
		t.Errorf("to find the send (request %s) the page called:\n%s\nwant GET /requests?request_id= and no search", sendID, calls)
	}
	for _, want := range []string{"sent POST /whippy/v1/messaging/sms → 201", "message.created → queued", "attempt 1 of #" + id + " 500", "attempt 2 of #" + id + " 500", "attempt 3 of #" + id + " 200"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, timeline)
		}
	}
	checkNames(t, ctx, "deliveries-retry")
	screenshot(t, ctx, "delivery-timeline-retries")
}
