package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestRun_WorkspaceRules checks that the config file's workspaces obey the
// rules the control API applies to a posted definition, and that a defect
// stops the start with one line naming its key in the file.
func TestRun_WorkspaceRules(t *testing.T) {
	const uuid = "0b6f4a3e-9c1d-4e2f-8a7b-6c5d4e3f2a1b"
	tests := []struct {
		name, whippy, key string
	}{
		{"DuplicateUserIDs", "users: [{id: 7}, {id: 7}]", "workspaces[0].whippy.users[1].id"},
		{"UserIDOfAnUnnumberedUser", "users: [{name: a}, {id: 1}]", "workspaces[0].whippy.users[1].id"},
		{"NegativeUserID", "users: [{id: -5}]", "workspaces[0].whippy.users[0].id"},
		{"ZeroUserID", "users: [{name: a}, {id: 0}]", "workspaces[0].whippy.users[1].id"},
		{"DuplicateChannelIDs", "channels: [{id: " + uuid + ", phone: \"+12065550000\"}, {id: " + uuid + ", phone: \"+12065550001\"}]", "workspaces[0].whippy.channels[1].id"},
		{"ChannelIDNotUUID", "channels: [{id: bad-id, phone: \"+12065550000\"}]", "workspaces[0].whippy.channels[0].id"},
		{"OrganizationIDNotUUID", "organization: {id: not-a-uuid}", "workspaces[0].whippy.organization.id"},
		{"EmptyWhippyKey", "api_keys: [\"\"]", "workspaces[0].whippy.api_keys[0]"},
		{"NoEventTypes", "applications: [{name: app, endpoints: [{url: \"http://hooks.example/a\", event_types: []}]}]", "workspaces[0].whippy.applications[0].endpoints[0].event_types"},
		{"UnknownUserKey", "users: [{nick: a}]", "nick"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeFile(t, "ws.yaml", "workspaces:\n  - id: a\n    whippy:\n      "+tt.whippy+"\n")
			startFails(t, cfg, tt.key)
		})
	}
	t.Run("EmptyWherebyKey", func(t *testing.T) {
		startFails(t, writeFile(t, "ws.yaml", "workspaces:\n  - id: a\n    whereby:\n      api_keys: [\"\"]\n"), "workspaces[0].whereby.api_keys[0]")
	})
	t.Run("DuplicateZipwhipUsernames", func(t *testing.T) {
		startFails(t, writeFile(t, "ws.yaml", "workspaces:\n  - id: a\n    zipwhip:\n      accounts:\n        - {username: u, line: \"+12065552001\"}\n        - {username: u, line: \"+12065552002\"}\n"), "workspaces[0].zipwhip.accounts[1].username")
	})
	t.Run("ZipwhipUsernameOfAnotherWorkspace", func(t *testing.T) {
		startFails(t, writeFile(t, "ws.yaml", "workspaces:\n  - id: a\n    zipwhip: {accounts: [{username: u, line: \"+12065552001\"}]}\n  - id: b\n    zipwhip: {accounts: [{username: u, line: \"+12065552002\"}]}\n"), "workspaces[1].zipwhip.accounts[0].username")
	})
	t.Run("WherebyKeyOfAnotherWorkspace", func(t *testing.T) {
		startFails(t, writeFile(t, "ws.yaml", "workspaces:\n  - id: a\n    whereby: {api_keys: [k]}\n  - id: b\n    whereby: {api_keys: [k]}\n"), "workspaces[1].whereby.api_keys[0]")
	})
}

func startFails(tb testing.TB, cfg, key string) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := run(ctx, []string{"--config", cfg, "--db", ":memory:", "--addr", "127.0.0.1:0"}, env(nil), &stdout, &stderr)
	if err == nil {
		tb.Fatal("start succeeded, want an error")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		tb.Errorf("error spans several lines: %q", msg)
	}
	if !strings.Contains(msg, key) {
		tb.Errorf("error %q does not name %q", msg, key)
	}
}
