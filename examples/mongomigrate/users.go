package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/graykit/graykit/dualwrite"
)

// User is a row of the SQL users table, as the application's code sees it.
type User struct {
	Name   string
	Phone  string
	Status int // 1 active, 0 banned
}

// userDoc is the same user in MongoDB, in the new shape: contact details nested under profile,
// the status as a word.
type userDoc struct {
	Name    string  `bson:"name"`
	Status  string  `bson:"status"`
	Profile profile `bson:"profile"`
}

type profile struct {
	Phone string `bson:"phone"`
}

// toDoc and fromDoc convert between the two shapes (dualwrite.Mapped uses them). A status without
// an equivalent is an error, never a silent default.
func toDoc(u User) (userDoc, error) {
	var s string
	switch u.Status {
	case 1:
		s = "active"
	case 0:
		s = "banned"
	default:
		return userDoc{}, fmt.Errorf("status %d: %w", u.Status, dualwrite.ErrUnmappable)
	}
	return userDoc{Name: u.Name, Status: s, Profile: profile{Phone: u.Phone}}, nil
}

func fromDoc(d userDoc) (User, error) {
	var s int
	switch d.Status {
	case "active":
		s = 1
	case "banned":
		s = 0
	default:
		return User{}, fmt.Errorf("status %q: %w", d.Status, dualwrite.ErrUnmappable)
	}
	return User{Name: d.Name, Phone: d.Phone(), Status: s}, nil
}

// Phone returns the document's phone number.
func (d userDoc) Phone() string { return d.Profile.Phone }

// usersTable is a dualwrite.Store and Scanner over the rows of the SQL users table (several
// columns; dualwrite.SQLStore handles one). The Pair counts it as a store outside the queue's
// transactions, which the intent protocol covers like the MongoDB side.
type usersTable struct {
	db    *sql.DB
	table string
	mysql bool
}

func (t usersTable) Get(ctx context.Context, id int64) (User, error) {
	var u User
	err := t.db.QueryRowContext(ctx, "SELECT name, phone, status FROM "+t.table+" WHERE id = ?", id).Scan(&u.Name, &u.Phone, &u.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return u, dualwrite.ErrNotFound
	}
	return u, err
}

func (t usersTable) Put(ctx context.Context, id int64, u User) error {
	q := "INSERT INTO " + t.table + " (id, name, phone, status) VALUES (?, ?, ?, ?) " +
		"ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone, status = excluded.status"
	if t.mysql {
		q = "INSERT INTO " + t.table + " (id, name, phone, status) VALUES (?, ?, ?, ?) " +
			"ON DUPLICATE KEY UPDATE name = VALUES(name), phone = VALUES(phone), status = VALUES(status)"
	}
	_, err := t.db.ExecContext(ctx, q, id, u.Name, u.Phone, u.Status)
	return err
}

func (t usersTable) Delete(ctx context.Context, id int64) error {
	_, err := t.db.ExecContext(ctx, "DELETE FROM "+t.table+" WHERE id = ?", id)
	return err
}

func (t usersTable) Scan(ctx context.Context, after *int64, limit int) ([]dualwrite.Entry[int64, User], error) {
	from := int64(-1 << 63)
	q := "SELECT id, name, phone, status FROM " + t.table + " WHERE id >= ? ORDER BY id LIMIT ?"
	if after != nil {
		from = *after
		q = "SELECT id, name, phone, status FROM " + t.table + " WHERE id > ? ORDER BY id LIMIT ?"
	}
	rows, err := t.db.QueryContext(ctx, q, from, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dualwrite.Entry[int64, User]
	for rows.Next() {
		var e dualwrite.Entry[int64, User]
		if err := rows.Scan(&e.Key, &e.Value.Name, &e.Value.Phone, &e.Value.Status); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
