package mongostore_test

import (
	"context"
	"database/sql"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/mongostore"
)

// User is a row of the old SQL table; UserDoc the same user in MongoDB, in another shape.
type User struct {
	Name   string
	Status int // 1 active, 0 banned
}

type UserDoc struct {
	Profile struct {
		Name string `bson:"name"`
	} `bson:"profile"`
	Status string `bson:"status"`
}

// A users table moves to a MongoDB collection: gray users read MongoDB, everyone else SQL, both are
// written, and the repair outbox is a table of the SQL database.
func Example() {
	var (
		ctx   = context.Background()
		db    *sql.DB                      // the application's MySQL database
		users dualwrite.Store[int64, User] // the users table (a SQLStore, or a Store of your own)
		coll  *mongo.Collection            // client.Database("app").Collection("users")
	)
	docs, err := mongostore.New[int64, UserDoc](coll, mongostore.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	toDoc := func(u User) (UserDoc, error) {
		var d UserDoc
		d.Profile.Name, d.Status = u.Name, map[int]string{0: "banned", 1: "active"}[u.Status]
		return d, nil
	}
	fromDoc := func(d UserDoc) (User, error) {
		return User{Name: d.Profile.Name, Status: map[string]int{"active": 1}[d.Status]}, nil
	}
	outbox, err := dualwrite.NewQueue(db, dualwrite.MySQL, "users_repairs")
	if err != nil {
		fmt.Println(err)
		return
	}
	pair, err := dualwrite.NewPair(users, dualwrite.Mapped(docs, toDoc, fromDoc), dualwrite.Config[int64, User]{
		Phase:          dualwrite.FromRollout("users-mongo", dualwrite.Live, dualwrite.Shadow),
		OnWriteFailure: dualwrite.RecordRepair,
		Repairs:        outbox,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = pair.Put(ctx, 42, User{Name: "ann", Status: 1})
}
