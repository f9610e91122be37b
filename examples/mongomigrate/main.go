// Command mongomigrate runs the hardest migration of the document graykit was made from: the users
// table of a SQL database (MySQL, or SQLite when no DSN is given) moves to a MongoDB users
// collection of another shape, while the application keeps serving.
//
//   - Gray users (a gray.Engine rollout, 30% by default) read MongoDB; everyone else reads SQL.
//     Every write goes to both, through a dualwrite.Pair.
//   - The Pair's repair outbox (dualwrite.Queue) is a table of the SQL database: each write first
//     commits its intent there, and a Repairer finishes any write a failure or a crash left half
//     done. The MongoDB side here fails a share of its writes on purpose (-fail) to show it.
//   - The history is copied by a walk over the SQL table (dualwrite.Verify repairing every missing
//     or different key from SQL) while the traffic runs, and a last Verify checks both sides.
//
// It needs no server started by hand: without -mongodb it embeds FerretDB (a MongoDB-protocol
// server, SQLite backend, throwaway directory, loopback). Run:
//
//	go run .                                      # SQLite + embedded FerretDB
//	go run . -mysql 'root@tcp(127.0.0.1:3306)/app' -mongodb mongodb://127.0.0.1:27017
//
// It creates its tables and its collection, refuses to touch existing ones, and drops them at the
// end (-keep leaves them).
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "github.com/go-sql-driver/mysql"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	_ "modernc.org/sqlite"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/mongostore"
	"github.com/graykit/graykit/gray"
)

func main() {
	var o config
	flag.StringVar(&o.mysqlDSN, "mysql", "", "MySQL DSN (go-sql-driver form); default: a SQLite file in a temporary directory")
	flag.StringVar(&o.mongoURI, "mongodb", "", "MongoDB URI; default: FerretDB embedded in this process")
	flag.StringVar(&o.table, "table", "users", "SQL table to create and migrate (its outbox is <table>_repairs)")
	flag.StringVar(&o.mongoDB, "mongodb-db", "graykit_example", "MongoDB database of the users collection")
	flag.IntVar(&o.users, "users", 200, "users in the table's history")
	flag.IntVar(&o.workers, "workers", 4, "concurrent simulated clients")
	flag.IntVar(&o.ops, "ops", 100, "requests per client")
	flag.IntVar(&o.grayPercent, "gray", 30, "percentage of users who read MongoDB")
	flag.Float64Var(&o.failRate, "fail", 0.05, "share of MongoDB writes that fail on purpose")
	flag.BoolVar(&o.keep, "keep", false, "keep the table, outbox and collection at the end")
	flag.Parse()
	if _, err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mongomigrate:", err)
		os.Exit(1)
	}
}

type config struct {
	mysqlDSN, mongoURI string
	table, mongoDB     string
	users, workers     int
	ops, grayPercent   int
	failRate           float64
	keep               bool
}

// summary is what a run did, for the test.
type summary struct {
	grayReads, otherReads, writes int64
	failedWrites                  int64 // first writes (to MongoDB, for gray users) that failed
	shadow                        dualwrite.Counts
	walk, final                   dualwrite.Report[int64]
}

const rollout = "users-mongo"

func run(ctx context.Context, o config, w io.Writer) (summary, error) {
	var sum summary
	if o.users < 1 || o.workers < 1 || o.ops < 0 || o.grayPercent < 0 || o.grayPercent > 100 || o.failRate < 0 || o.failRate >= 1 {
		return sum, errors.New("users and workers must be positive, ops not negative, gray in [0, 100], fail in [0, 1)")
	}
	tmp, err := os.MkdirTemp("", "graykit-mongomigrate-")
	if err != nil {
		return sum, err
	}
	defer os.RemoveAll(tmp)

	// The SQL side: the users table with its history, and the repair outbox next to it.
	db, d, err := openSQL(o.mysqlDSN, tmp)
	if err != nil {
		return sum, err
	}
	defer db.Close()
	outbox := o.table + "_repairs"
	for _, t := range []string{o.table, outbox} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err == nil {
			return sum, fmt.Errorf("table %s exists: point the example at an empty database or pass -table", t)
		}
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+o.table+" (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, phone VARCHAR(32) NOT NULL, status INT NOT NULL)"); err != nil {
		return sum, err
	}
	if !o.keep {
		defer func() { _, _ = db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE "+o.table) }()
	}
	old := usersTable{db: db, table: o.table, mysql: d == dualwrite.MySQL}
	for id := int64(1); id <= int64(o.users); id++ {
		if err := old.Put(ctx, id, User{Name: "user-" + strconv.FormatInt(id, 10), Phone: fmt.Sprintf("+1 555 %04d", id), Status: int(id % 2)}); err != nil {
			return sum, err
		}
	}
	// The outbox: a table of the same MySQL database. SQLite has one writer per database file, and
	// the Pair holds the outbox database's write lock while it writes the users table (a store of
	// its own here, written outside the Pair's transaction), so on SQLite the outbox gets a file of
	// its own.
	qdb := db
	where := "same database"
	if d == dualwrite.SQLite {
		if qdb, err = openSQLite(filepath.Join(tmp, "outbox.db")); err != nil {
			return sum, err
		}
		defer qdb.Close()
		where = "its own SQLite file"
	}
	q, err := dualwrite.NewQueue(qdb, d, outbox)
	if err != nil {
		return sum, err
	}
	if err := q.CreateTable(ctx); err != nil {
		return sum, err
	}
	if !o.keep {
		defer func() { _, _ = qdb.ExecContext(context.WithoutCancel(ctx), "DROP TABLE "+outbox) }()
	}
	fmt.Fprintf(w, "sql:      %s table %s with %d users (status 0/1), outbox %s (%s)\n", d, o.table, o.users, outbox, where)

	// The MongoDB side: the users collection, documents of another shape.
	uri := o.mongoURI
	if uri == "" {
		u, stop, err := embedFerretDB(filepath.Join(tmp, "ferretdb"))
		if err != nil {
			return sum, fmt.Errorf("embedded FerretDB: %w", err)
		}
		defer stop()
		uri = u
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(30 * time.Second))
	if err != nil {
		return sum, err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	coll := client.Database(o.mongoDB).Collection("users")
	if n, err := coll.EstimatedDocumentCount(ctx); err != nil {
		return sum, fmt.Errorf("mongodb: %w", err)
	} else if n > 0 {
		return sum, fmt.Errorf("collection %s.users is not empty: pass another -mongodb-db", o.mongoDB)
	}
	if !o.keep {
		defer func() { _ = coll.Drop(context.WithoutCancel(ctx)) }()
	}
	docs, err := mongostore.New[int64, userDoc](coll, mongostore.Config{})
	if err != nil {
		return sum, err
	}
	nw := &flaky{Store: dualwrite.Mapped(docs, toDoc, fromDoc), rate: o.failRate}
	fmt.Fprintf(w, "mongodb:  %s.users, {name, status: \"active\"|\"banned\", profile: {phone}}\n", o.mongoDB)

	// Gray users read MongoDB (live: MongoDB written first); the rest read SQL and compare.
	cfg, err := gray.ParseConfig([]byte(fmt.Sprintf("rollouts:\n  - name: %s\n    percent: %d\n", rollout, o.grayPercent)))
	if err != nil {
		return sum, err
	}
	engine, err := gray.New(cfg)
	if err != nil {
		return sum, err
	}
	counter := &dualwrite.Counter{}
	pair, err := dualwrite.NewPair[int64, User](old, nw, dualwrite.Config[int64, User]{
		Phase:          dualwrite.FromRollout(rollout, dualwrite.Live, dualwrite.Shadow),
		OnWriteFailure: dualwrite.RecordRepair,
		Repairs:        q,
		Observer:       counter,
	})
	if err != nil {
		return sum, err
	}
	repairer, err := dualwrite.NewRepairer(dualwrite.RepairerConfig{
		Queue: q, Target: pair, Owner: "mongomigrate", Interval: 10 * time.Millisecond,
		Backoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 1000,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return sum, err
	}
	rctx, stopRepairer := context.WithCancel(ctx)
	repaired := make(chan struct{})
	go func() {
		defer close(repaired)
		_ = repairer.Run(rctx)
	}()
	defer func() { stopRepairer(); <-repaired }()

	// Traffic and the history walk at once.
	var (
		wg                   sync.WaitGroup
		grayReads, other, wr atomic.Int64
		failedWr             atomic.Int64
		trafficErr           error
		errOnce              sync.Once
	)
	for c := range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(c), 7))
			for range o.ops {
				id := 1 + rnd.Int64N(int64(o.users)+int64(o.users)/10) // some users are new
				uctx := gray.NewContext(ctx, engine, gray.Subject{Key: "user-" + strconv.FormatInt(id, 10)})
				if err := request(uctx, pair, rnd, id, &wr, &failedWr); err != nil {
					errOnce.Do(func() { trafficErr = err })
					return
				}
				if d, ok := gray.FromContext(uctx); ok && d.Get(rollout).IsNew() {
					grayReads.Add(1)
				} else {
					other.Add(1)
				}
			}
		}()
	}
	var walkErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		sum.walk, walkErr = dualwrite.Verify[int64, User](ctx, old, nw, dualwrite.VerifyConfig[int64, User]{
			BatchSize: 50,
			Repair:    func(ctx context.Context, id int64) error { return pair.Repair(ctx, id, dualwrite.SideOld) },
		})
	}()
	wg.Wait()
	if err := errors.Join(trafficErr, walkErr); err != nil {
		return sum, err
	}
	sum.grayReads, sum.otherReads, sum.writes, sum.failedWrites = grayReads.Load(), other.Load(), wr.Load(), failedWr.Load()
	sum.shadow = counter.Counts()
	fmt.Fprintf(w, "traffic:  %d requests of gray users (read MongoDB), %d of others (read SQL), %d writes to both\n",
		sum.grayReads, sum.otherReads, sum.writes)
	fmt.Fprintf(w, "walk:     copied %d users missing in MongoDB (%d copies failed: a second walk below redoes them)\n",
		sum.walk.MissingNew, sum.walk.RepairFailed)
	fmt.Fprintf(w, "failures: %d second writes to MongoDB failed, %d recorded in the outbox for repair; %d gray users' writes failed on MongoDB first and returned the error\n",
		sum.shadow.WriteFailed, sum.shadow.RepairRecorded, sum.failedWrites)

	// The outbox drains, then both sides must hold the same users.
	nw.stop()
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := q.Pending(ctx)
		if err != nil {
			return sum, err
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			return sum, fmt.Errorf("the outbox still holds %d keys after a minute", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Keys the walk could not repair (a failure the outbox did not hold) get one more walk.
	if _, err := dualwrite.Verify[int64, User](ctx, old, nw, dualwrite.VerifyConfig[int64, User]{
		Repair: func(ctx context.Context, id int64) error { return pair.Repair(ctx, id, dualwrite.SideOld) },
	}); err != nil {
		return sum, err
	}
	sum.final, err = dualwrite.Verify[int64, User](ctx, old, nw, dualwrite.VerifyConfig[int64, User]{})
	if err != nil {
		return sum, err
	}
	fmt.Fprintf(w, "verify:   %s\n", sum.final)
	if !sum.final.OK() {
		return sum, fmt.Errorf("the two sides differ: %s", sum.final)
	}
	var doc bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: int64(2)}}).Decode(&doc); err != nil {
		return sum, err
	}
	delete(doc, "_gkv")
	fmt.Fprintf(w, "user 2:   %v\n", doc)
	return sum, nil
}

// request is one simulated request of user id: mostly reads, some updates and sign-ups.
func request(ctx context.Context, pair *dualwrite.Pair[int64, User], rnd *rand.Rand, id int64, writes, failed *atomic.Int64) error {
	u, err := pair.Get(ctx, id)
	found := err == nil
	if err != nil && !errors.Is(err, dualwrite.ErrNotFound) {
		return fmt.Errorf("read user %d: %w", id, err)
	}
	if rnd.IntN(10) >= 3 {
		return nil
	}
	if !found {
		u = User{Name: "new-" + strconv.FormatInt(id, 10), Phone: "+1 555 9999"}
	}
	u.Status = rnd.IntN(2)
	if rnd.IntN(2) == 0 {
		u.Phone = fmt.Sprintf("+1 555 %04d", rnd.IntN(10000))
	}
	writes.Add(1)
	if err := pair.Put(ctx, id, u); err != nil && !errors.Is(err, errFlaky) {
		return fmt.Errorf("write user %d: %w", id, err)
	} else if err != nil {
		// MongoDB was the first side (a gray user's write) and failed: the user sees the error,
		// as with any failed write, and nothing was half-written.
		failed.Add(1)
	}
	return nil
}

// openSQL opens MySQL when dsn is set, else a SQLite file in dir.
func openSQL(dsn, dir string) (*sql.DB, dualwrite.Dialect, error) {
	if dsn != "" {
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			return nil, dualwrite.MySQL, err
		}
		return db, dualwrite.MySQL, db.Ping()
	}
	db, err := openSQLite(filepath.Join(dir, "app.db"))
	return db, dualwrite.SQLite, err
}

func openSQLite(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+path+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
}

// embedFerretDB starts FerretDB in this process, its data in dir, on a free loopback port.
func embedFerretDB(dir string) (uri string, stop func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    slog.New(slog.DiscardHandler),
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	return f.MongoDBURI(), func() { cancel(); <-done }, nil
}

// flaky fails a share of the writes to the store it wraps, as a network or a busy server would,
// until stopped.
type flaky struct {
	dualwrite.Store[int64, User]
	mu   sync.Mutex
	rate float64
	rnd  *rand.Rand
}

var errFlaky = errors.New("injected MongoDB failure")

func (f *flaky) fail() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rnd == nil {
		f.rnd = rand.New(rand.NewPCG(1, 2))
	}
	return f.rnd.Float64() < f.rate
}

func (f *flaky) stop() { f.mu.Lock(); f.rate = 0; f.mu.Unlock() }

func (f *flaky) Put(ctx context.Context, id int64, u User) error {
	if f.fail() {
		return errFlaky
	}
	return f.Store.Put(ctx, id, u)
}

func (f *flaky) Delete(ctx context.Context, id int64) error {
	if f.fail() {
		return errFlaky
	}
	return f.Store.Delete(ctx, id)
}

func (f *flaky) Scan(ctx context.Context, after *int64, limit int) ([]dualwrite.Entry[int64, User], error) {
	return f.Store.(dualwrite.Scanner[int64, User]).Scan(ctx, after, limit)
}

// Unwrap lets the Pair see the store under the fault injection.
func (f *flaky) Unwrap() dualwrite.Store[int64, User] { return f.Store }
