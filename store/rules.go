package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Rule is a request fault or webhook chaos rule as the store keeps it. The
// server applies rules from memory (internal/chance); the store keeps a
// copy that is written through on every change and read at start.
type Rule struct {
	// Kind is "fault" or "chaos".
	Kind string
	// Workspace is the workspace the rule belongs to, "" for every one.
	Workspace string
	ID        string
	// Doc is the rule as JSON.
	Doc json.RawMessage
	// Matched and Applied are the rule's counters when last saved.
	Matched int64
	Applied int64
	// Given, when not 0, is the highest id number the rule list of Kind
	// has given out (with the rule, if the list gave its id): PutRule
	// keeps it as the kind's id counter, which only grows (see RuleIDs).
	Given int64
}

// ruleIDCounter is the name of kind's id counter in the counters table
// (workspace ”, kept by a reset of every workspace as the journal's is).
func ruleIDCounter(kind string) string { return "rule_ids." + kind }

// RuleIDs returns the highest id number a rule list of kind has given out
// (0 for none), so that a list loaded again never gives out the id of a
// rule deleted before a restart.
func (db *DB) RuleIDs(ctx context.Context, kind string) (int64, error) {
	var n int64
	err := db.View(ctx, "", func(tx *Tx) error {
		err := tx.queryRow(`SELECT value FROM counters WHERE workspace_id = '' AND name = ?`, ruleIDCounter(kind)).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("load %s rule ids: %w", kind, err)
	}
	return n, nil
}

// Rules returns the rules of kind, in the order they apply.
func (db *DB) Rules(ctx context.Context, kind string) ([]Rule, error) {
	var out []Rule
	err := db.View(ctx, "", func(tx *Tx) error {
		rows, err := tx.query(`SELECT workspace_id, id, doc, matched, applied FROM rules WHERE kind = ? ORDER BY seq`, kind)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := Rule{Kind: kind}
			var doc []byte
			if err := rows.Scan(&r.Workspace, &r.ID, &doc, &r.Matched, &r.Applied); err != nil {
				return err
			}
			r.Doc = json.RawMessage(doc)
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("load %s rules: %w", kind, err)
	}
	return out, nil
}

// PutRule stores r after every rule of its kind, replacing the rule of the
// same kind, workspace and id, and raises the kind's id counter to
// r.Given, in one transaction.
func (db *DB) PutRule(ctx context.Context, r Rule) error {
	err := db.Update(ctx, "", func(tx *Tx) error {
		_, err := tx.exec(`INSERT OR REPLACE INTO rules (kind, workspace_id, id, seq, doc, matched, applied)
			VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM rules WHERE kind = ?), ?, ?, ?)`,
			r.Kind, r.Workspace, r.ID, r.Kind, string(r.Doc), r.Matched, r.Applied)
		if err != nil || r.Given <= 0 {
			return err
		}
		_, err = tx.exec(`INSERT INTO counters (workspace_id, name, value) VALUES ('', ?, ?)
			ON CONFLICT (workspace_id, name) DO UPDATE SET value = MAX(value, excluded.value)`, ruleIDCounter(r.Kind), r.Given)
		return err
	})
	if err != nil {
		return fmt.Errorf("save %s rule %s: %w", r.Kind, r.ID, err)
	}
	return nil
}

// DeleteRule deletes the rule of kind with that workspace and id (nothing
// when there is none).
func (db *DB) DeleteRule(ctx context.Context, kind, ws, id string) error {
	err := db.Update(ctx, "", func(tx *Tx) error {
		_, err := tx.exec(`DELETE FROM rules WHERE kind = ? AND workspace_id = ? AND id = ?`, kind, ws, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete %s rule %s: %w", kind, id, err)
	}
	return nil
}

// ClearRules deletes the rules of kind that workspace ws owns, or every
// rule of kind for "".
func (db *DB) ClearRules(ctx context.Context, kind, ws string) error {
	err := db.Update(ctx, "", func(tx *Tx) error {
		q, args := `DELETE FROM rules WHERE kind = ?`, []any{kind}
		if ws != "" {
			q, args = q+` AND workspace_id = ?`, append(args, ws)
		}
		_, err := tx.exec(q, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("clear %s rules: %w", kind, err)
	}
	return nil
}

// SaveRuleCounts writes the counters (Matched, Applied) of rules, found by
// kind, workspace and id, in one transaction. A rule that is no longer
// stored is skipped.
func (db *DB) SaveRuleCounts(ctx context.Context, rules []Rule) error {
	if len(rules) == 0 {
		return nil
	}
	err := db.Update(ctx, "", func(tx *Tx) error {
		for _, r := range rules {
			if _, err := tx.exec(`UPDATE rules SET matched = ?, applied = ? WHERE kind = ? AND workspace_id = ? AND id = ?`,
				r.Matched, r.Applied, r.Kind, r.Workspace, r.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save rule counters: %w", err)
	}
	return nil
}

// exportRules adds the workspace's rules to a snapshot.
func (tx *Tx) exportRules(st *SnapshotState) error {
	rows, err := tx.query(`SELECT kind, id, doc, matched, applied FROM rules WHERE workspace_id = ? ORDER BY kind, seq`, tx.ws)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r SnapshotRule
		var doc []byte
		if err := rows.Scan(&r.Kind, &r.ID, &doc, &r.Matched, &r.Applied); err != nil {
			return err
		}
		r.Rule = compactJSON(doc, "{}")
		st.Rules = append(st.Rules, r)
	}
	return rows.Err()
}
