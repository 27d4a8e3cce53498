package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/vendorsim/vendorsim/internal/ui"
)

// fetch serves path through a dashboard handler.
func fetch(t *testing.T, h http.Handler, path string, mod func(*http.Request)) *http.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if mod != nil {
		mod(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkHTML applies the rules the dashboard's pages keep, and returns what
// breaks them: a doctype and <html lang>, a title, a viewport, unique ids,
// every <label for> naming a form control that exists, every form control
// labelled (a label, aria-label or aria-labelledby), every button with a
// type and a name, every aria-labelledby, aria-describedby and list naming
// an element that exists, every table with a caption or a name, no inline
// script or style and no event-handler attributes (the Content-Security-
// Policy forbids them), no resource from another origin, and elements
// nested where HTML allows them (no block inside <p>, <button>, <a> or
// <summary> but a heading in <summary>,
// no interactive content inside <button> or <a>, <li> only in lists).
func checkHTML(src string) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(src)), "<!doctype html>") {
		bad("no <!DOCTYPE html> at the start")
	}
	// The tokenizer sees the document as written (the parser would repair
	// bad nesting silently).
	z := html.NewTokenizer(strings.NewReader(src))
	var stack []atom.Atom
	voids := map[atom.Atom]bool{atom.Meta: true, atom.Link: true, atom.Input: true, atom.Br: true, atom.Img: true, atom.Hr: true, atom.Source: true, atom.Wbr: true}
	blocks := map[atom.Atom]bool{atom.Div: true, atom.P: true, atom.Ul: true, atom.Ol: true, atom.Table: true, atom.Section: true, atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.Pre: true, atom.Dl: true, atom.Aside: true, atom.Header: true, atom.Main: true, atom.Nav: true}
	interactive := map[atom.Atom]bool{atom.A: true, atom.Button: true, atom.Input: true, atom.Select: true, atom.Textarea: true, atom.Label: false}
	in := func(a atom.Atom) bool { return slices.Contains(stack, a) }
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				bad("tokenizer: %v", z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			a := tok.DataAtom
			if a == 0 {
				bad("unknown element <%s>", tok.Data)
			}
			if blocks[a] && (in(atom.P) || in(atom.Button) || in(atom.Span) || in(atom.Label)) {
				bad("<%s> inside an inline element (%v)", tok.Data, stack)
			}
			// <summary> holds phrasing content, or one heading.
			if blocks[a] && in(atom.Summary) && !slices.Contains([]atom.Atom{atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6}, a) {
				bad("<%s> inside <summary> (phrasing content or a heading only)", tok.Data)
			}
			if interactive[a] && (in(atom.Button) || in(atom.A)) {
				bad("interactive <%s> inside <button> or <a>", tok.Data)
			}
			if a == atom.Li && len(stack) > 0 && !slices.Contains([]atom.Atom{atom.Ul, atom.Ol, atom.Menu}, stack[len(stack)-1]) {
				bad("<li> outside a list (in <%s>)", stack[len(stack)-1])
			}
			if a == atom.Script {
				if attr(tok, "src") == "" {
					bad("inline <script>")
				}
			}
			if a == atom.Style {
				bad("inline <style>")
			}
			for _, at := range tok.Attr {
				if strings.HasPrefix(at.Key, "on") {
					bad("event-handler attribute %s on <%s>", at.Key, tok.Data)
				}
				if at.Key == "style" {
					bad("style attribute on <%s>", tok.Data)
				}
				if (at.Key == "src" || at.Key == "href") && (strings.Contains(at.Val, "//") || strings.HasPrefix(at.Val, "http")) {
					bad("<%s %s=%q> loads from another origin", tok.Data, at.Key, at.Val)
				}
			}
			if tt == html.StartTagToken && !voids[a] {
				stack = append(stack, a)
			}
		case html.EndTagToken:
			a := tok.DataAtom
			i := len(stack) - 1
			for i >= 0 && stack[i] != a {
				i--
			}
			if i < 0 {
				bad("</%s> closes nothing", tok.Data)
				continue
			}
			if i != len(stack)-1 && a != atom.P {
				bad("</%s> closes <%s> too (not closed)", tok.Data, stack[len(stack)-1])
			}
			stack = stack[:i]
		}
	}
	if len(stack) > 0 {
		bad("elements never closed: %v", stack)
	}

	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return append(errs, "parse: "+err.Error())
	}
	ids := map[string]*html.Node{}
	var all []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			all = append(all, n)
			if id := attrOf(n, "id"); id != "" {
				if ids[id] != nil {
					bad("id %q is used twice", id)
				}
				ids[id] = n
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	labelled := map[*html.Node]bool{}
	var title, viewport, lang bool
	for _, n := range all {
		switch n.DataAtom {
		case atom.Html:
			lang = attrOf(n, "lang") != ""
		case atom.Title:
			title = text(n) != ""
		case atom.Meta:
			viewport = viewport || attrOf(n, "name") == "viewport"
		case atom.Label:
			if f := attrOf(n, "for"); f != "" {
				target := ids[f]
				if target == nil || !slices.Contains([]atom.Atom{atom.Input, atom.Select, atom.Textarea, atom.Output, atom.Meter, atom.Progress}, target.DataAtom) {
					bad("<label for=%q> names no form control", f)
				} else {
					labelled[target] = true
				}
				if text(n) == "" {
					bad("<label for=%q> is empty", f)
				}
			}
		}
		for _, k := range []string{"aria-labelledby", "aria-describedby", "list", "aria-controls"} {
			for _, ref := range strings.Fields(attrOf(n, k)) {
				if ids[ref] == nil {
					bad("<%s %s=%q> names no element", n.Data, k, ref)
				}
			}
		}
	}
	for _, n := range all {
		named := attrOf(n, "aria-label") != "" || attrOf(n, "aria-labelledby") != "" || attrOf(n, "title") != ""
		switch n.DataAtom {
		case atom.Input, atom.Select, atom.Textarea:
			if attrOf(n, "type") == "hidden" {
				continue
			}
			if !labelled[n] && !named && !insideLabel(n) {
				bad("<%s id=%q> has no label", n.Data, attrOf(n, "id"))
			}
		case atom.Button:
			if attrOf(n, "type") == "" {
				bad("<button> %q without a type", text(n))
			}
			if text(n) == "" && !named {
				bad("<button id=%q> has no name", attrOf(n, "id"))
			}
		case atom.A:
			if text(n) == "" && !named {
				bad("<a href=%q> has no name", attrOf(n, "href"))
			}
		case atom.Table:
			hasCaption := false
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				hasCaption = hasCaption || c.DataAtom == atom.Caption
			}
			if !hasCaption && !named {
				bad("<table id=%q> has no caption or name", attrOf(n, "id"))
			}
		case atom.Img:
			if _, ok := attrPresent(n, "alt"); !ok {
				bad("<img> without alt")
			}
		case atom.Section, atom.Aside, atom.Dialog, atom.Nav:
			if !named {
				bad("<%s id=%q> has no name (aria-label or aria-labelledby)", n.Data, attrOf(n, "id"))
			}
		}
	}
	if !title {
		bad("no <title>")
	}
	if !viewport {
		bad("no viewport <meta>")
	}
	if !lang {
		bad("no <html lang>")
	}
	return errs
}

func attr(t html.Token, k string) string {
	for _, a := range t.Attr {
		if a.Key == k {
			return a.Val
		}
	}
	return ""
}

func attrOf(n *html.Node, k string) string {
	v, _ := attrPresent(n, k)
	return v
}

func attrPresent(n *html.Node, k string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == k {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

func insideLabel(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.DataAtom == atom.Label {
			return true
		}
	}
	return false
}

// TestPagesAreValidHTML checks the served pages (the dashboard and the
// token form) against checkHTML's rules.
func TestPagesAreValidHTML(t *testing.T) {
	tests := []struct {
		name string
		h    *ui.Handler
		want int
	}{
		{"Dashboard", ui.New(ui.Options{}), http.StatusOK},
		{"TokenForm", ui.New(ui.Options{Authorized: ui.TokenGuard("secret")}), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := fetch(t, tt.h, ui.Prefix, nil)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			for _, e := range checkHTML(body(t, resp)) {
				t.Error(e)
			}
		})
	}
}

// TestCheckHTML shows that the checker finds what it looks for.
func TestCheckHTML(t *testing.T) {
	page := func(inner string) string {
		return `<!DOCTYPE html><html lang="en"><head><meta name="viewport" content="x"><title>t</title></head><body>` + inner + `</body></html>`
	}
	tests := []struct {
		name, src, want string
	}{
		{"OK", page(`<label for="a">A</label><input id="a"><button type="button">Go</button>`), ""},
		{"DuplicateID", page(`<p id="x">1</p><p id="x">2</p>`), `id "x" is used twice`},
		{"UnlabelledInput", page(`<input id="a">`), `<input id="a"> has no label`},
		{"LabelForNothing", page(`<label for="b">B</label>`), `<label for="b"> names no form control`},
		{"ButtonWithoutType", page(`<button>Go</button>`), `without a type`},
		{"NamelessButton", page(`<button type="button" id="z"></button>`), `<button id="z"> has no name`},
		{"InlineScript", page(`<script>alert(1)</script>`), `inline <script>`},
		{"Handler", page(`<div onclick="x()">x</div>`), `event-handler attribute onclick`},
		{"Unclosed", page(`<div><span>x</div>`), `closes <span> too`},
		{"BlockInParagraph", page(`<p><div>x</div></p>`), `<div> inside an inline element`},
		{"BlockInSummary", page(`<details><summary><h3>x</h3><div>y</div></summary></details>`), `<div> inside <summary>`},
		{"HeadingInSummary", page(`<details><summary><h3>x</h3> <span>y</span></summary></details>`), ""},
		{"ButtonInLink", page(`<a href="#">x<button type="button">y</button></a>`), `interactive <button> inside`},
		{"OtherOrigin", page(`<script src="https://cdn.example/x.js"></script>`), `loads from another origin`},
		{"NamelessSection", page(`<section id="s">x</section>`), `<section id="s"> has no name`},
		{"NoDoctype", `<html lang="en"><head><meta name="viewport" content="x"><title>t</title></head><body></body></html>`, `no <!DOCTYPE html>`},
		{"DanglingLabelledby", page(`<section aria-labelledby="nope">x</section>`), `aria-labelledby="nope"> names no element`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := checkHTML(tt.src)
			got := strings.Join(errs, "\n")
			if tt.want == "" {
				if len(errs) > 0 {
					t.Errorf("errors for a valid page:\n%s", got)
				}
				return
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("errors %q; want one with %q", got, tt.want)
			}
		})
	}
}
