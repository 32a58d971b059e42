// Command ferretdb runs the embedded database for development, tests and small installs: a
// private PostgreSQL cluster and FerretDB v1 on its PostgreSQL backend in front of it.
//
// It owns the PostgreSQL server as its child, so the two live and die together: postgres gets
// a parent-death signal, and this program stops when its own parent goes away (its standard
// input reaches end of file), so killing the service never leaves either behind.
//
// It uses FerretDB's embeddable package rather than its cmd/ferretdb binary, which panics at
// start when built from the module proxy (the module lacks its generated version file).
//
// Clients must sign in: FerretDB runs in its backend-authentication mode, with a PostgreSQL URL
// that names no user, so every client connection is checked by PostgreSQL against the
// credentials the client itself sent (MongoDB's PLAIN mechanism). The cluster's one role and its
// password are the only credentials that work. The password reaches this program as the first
// line of its standard input, never as an argument, and is written nowhere but initdb's
// password file, private and removed once initdb has read it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/jackc/pgx/v5"
)

// pgUser is the cluster's only role, and dbName the database FerretDB keeps its schemas in.
const (
	pgUser = "ferretdb"
	dbName = "ferretdb"
)

// defaultClusterUser is the system user that runs initdb and postgres when this program is root.
const defaultClusterUser = "orgservice-db"

// unixSocketMax is the longest path a Unix socket may have on Linux (sun_path, minus the NUL).
const unixSocketMax = 107

func main() {
	addr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address FerretDB listens on")
	dir := flag.String("data-dir", "", "folder for the PostgreSQL cluster (required)")
	pgHome := flag.String("postgresql", "", "PostgreSQL installation (with bin/, lib/, share/; required)")
	pgPort := flag.Int("postgresql-port", 0, "loopback port for PostgreSQL (required)")
	noFsync := flag.Bool("no-fsync", false, "turn fsync off (throw-away data: tests, benchmarks)")
	watchStdin := flag.Bool("exit-on-stdin-eof", false, "stop when standard input is closed (the parent is gone)")
	clusterUser := flag.String("cluster-user", defaultClusterUser, "as root: the system user that runs PostgreSQL (created when absent)")
	flag.Parse()

	if *dir == "" || *pgHome == "" || *pgPort == 0 {
		log.Fatal("-data-dir, -postgresql and -postgresql-port are required")
	}

	// The password of the cluster's role: the first line of standard input.
	stdin := bufio.NewReader(os.Stdin)

	line, err := stdin.ReadString('\n')
	password := strings.TrimSpace(line)

	if err != nil || len(password) < 16 {
		log.Fatal("the PostgreSQL password (16 characters or more) must be the first line of standard input")
	}

	// PostgreSQL checks every client's own credentials: nothing from the environment (PGUSER,
	// PGPASSWORD, a ~/.pgpass) may fill in for a client that sent none.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PG") {
			_ = os.Unsetenv(k)
		}
	}

	_ = os.Setenv("PGPASSFILE", os.DevNull)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			stop()
		}()
	}

	if err := run(ctx, *addr, *dir, *pgHome, *pgPort, *noFsync, *clusterUser, password); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr, dir, pgHome string, pgPort int, noFsync bool, clusterUser, password string) error {
	owner, err := clusterOwner(ctx, clusterUser)
	if err != nil {
		return err
	}

	pgData := filepath.Join(dir, "postgresql")
	if err = initCluster(ctx, dir, pgData, pgHome, noFsync, owner, password); err != nil {
		return err
	}

	if err = owner.adopt(pgData); err != nil {
		return err
	}

	if err = waitForStalePostmaster(pgData); err != nil {
		return err
	}

	pg, err := startPostgres(pgData, pgHome, pgPort, noFsync, owner)
	if err != nil {
		return err
	}

	pgExited := make(chan error, 1)
	go func() { pgExited <- pg.Wait() }()

	stopPostgres := func() {
		// SIGINT is PostgreSQL's fast shutdown: end the sessions, write a checkpoint, exit.
		_ = pg.Process.Signal(syscall.SIGINT)
		select {
		case <-pgExited:
		case <-time.After(20 * time.Second):
			_ = pg.Process.Kill()
			<-pgExited
		}
	}
	defer stopPostgres()

	base := url.URL{
		Scheme: "postgres",
		User:   url.UserPassword(pgUser, password),
		Host:   fmt.Sprintf("127.0.0.1:%d", pgPort),
	}

	if err = waitForPostgres(ctx, base, pgExited); err != nil {
		return err
	}

	// FerretDB's URL names no user: each client's own user and password (PLAIN) are what
	// PostgreSQL checks, so a client without them gets nothing.
	backend := url.URL{Scheme: "postgres", Host: base.Host, Path: "/" + dbName}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: addr},
		Handler:       "postgresql",
		PostgreSQLURL: backend.String(),
	})
	if err != nil {
		return fmt.Errorf("cannot configure FerretDB: %w", err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	go func() {
		select {
		case err := <-pgExited:
			fmt.Fprintf(os.Stderr, "postgres exited unexpectedly: %v\n", err)
			pgExited <- err // for stopPostgres
			cancel()
		case <-runCtx.Done():
		}
	}()

	fmt.Fprintf(os.Stderr, "ferretdb listening on %s, PostgreSQL on 127.0.0.1:%d, data in %s\n", addr, pgPort, dir)
	f.Run(runCtx)

	return nil
}

// account is who runs initdb and postgres: this process's own user, or a system user of their
// own when it is root (both refuse to run as root).
type account struct {
	cred *syscall.Credential // nil: this process's own user
}

// clusterOwner is this process's own user, or, as root, the system user `name`, created when
// absent. A user of its own rather than nobody: nobody is shared by other programs, and whatever
// runs as nobody could read and change the cluster's files.
func clusterOwner(ctx context.Context, name string) (account, error) {
	if os.Geteuid() != 0 {
		return account{}, nil
	}

	u, err := ensureSystemUser(ctx, name)
	if err != nil {
		return account{}, err
	}

	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return account{}, fmt.Errorf("user %s: %w", name, err)
	}

	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return account{}, fmt.Errorf("user %s: %w", name, err)
	}

	if uid == 0 {
		return account{}, fmt.Errorf("user %s is root: PostgreSQL refuses to run as root", name)
	}

	return account{cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}, nil
}

// ensureSystemUser finds the system user `name`, or creates it (no home, no login shell, a group
// of its own). Concurrent starts must not run useradd at the same time: its own lock does not
// keep two of them from rewriting /etc/passwd together, and one user would be lost. They take
// turns under an exclusive lock on the folder /etc (which, unlike /etc/passwd, useradd never
// replaces), and each looks again before creating.
func ensureSystemUser(ctx context.Context, name string) (*user.User, error) {
	if u, err := user.Lookup(name); err == nil {
		return u, nil
	}

	etc, err := os.Open("/etc")
	if err != nil {
		return nil, err
	}
	defer etc.Close()

	if err = syscall.Flock(int(etc.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("cannot lock /etc to create the user %s: %w", name, err)
	}
	defer syscall.Flock(int(etc.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing unlocks too

	if u, err := user.Lookup(name); err == nil {
		return u, nil
	}

	useradd, err := exec.LookPath("useradd")
	if err != nil {
		useradd = "/usr/sbin/useradd"
	}

	nologin := "/usr/sbin/nologin"
	if _, err := os.Stat(nologin); err != nil {
		nologin = "/bin/false"
	}

	out, err := exec.CommandContext(ctx, useradd,
		"--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
		"--shell", nologin, "--comment", "orgservice embedded PostgreSQL", name,
	).CombinedOutput()

	if u, lerr := user.Lookup(name); lerr == nil {
		return u, nil
	}

	if err == nil {
		err = errors.New("useradd succeeded, but the user is not found")
	}

	return nil, fmt.Errorf(
		"running as root, the embedded PostgreSQL needs the system user %s, which could not be created (%w: %s); "+
			"create it (useradd --system --user-group --no-create-home --shell /usr/sbin/nologin %s), "+
			"run as a regular user, or set MONGO_URI", name, err, strings.TrimSpace(string(out)), name,
	)
}

// adopt gives an existing cluster made for another user (nobody, before the embedded database
// had a user of its own) to this account.
func (a account) adopt(pgData string) error {
	if a.cred == nil {
		return nil
	}

	info, err := os.Stat(pgData)
	if err != nil {
		return err
	}

	if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid == a.cred.Uid {
		return nil
	}

	return filepath.WalkDir(pgData, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}

		return os.Lchown(path, int(a.cred.Uid), int(a.cred.Gid))
	})
}

// chown gives path to the account (a no-op when it is this process's own user).
func (a account) chown(path string) error {
	if a.cred == nil {
		return nil
	}

	return os.Chown(path, int(a.cred.Uid), int(a.cred.Gid))
}

func (a account) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: a.cred,
		// Our own death (even SIGKILL) stops postgres with a fast shutdown.
		Pdeathsig: syscall.SIGINT,
		Setpgid:   true, // a Ctrl-C in a terminal reaches us, and we stop postgres in order
	}
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr

	return cmd
}

// initCluster creates the cluster on first use, its role's password being `password`.
func initCluster(ctx context.Context, dir, pgData, pgHome string, noFsync bool, owner account, password string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create data folder: %w", err)
	}

	if _, err := os.Stat(filepath.Join(pgData, "PG_VERSION")); err == nil {
		return nil
	}

	if owner.cred != nil {
		// The cluster's owner must reach its data folder (search permission only).
		if err := os.Chmod(dir, 0o711); err != nil {
			return err
		}
	}

	// initdb into a fresh folder and rename it when done: an interrupted initdb leaves no
	// half-made cluster behind.
	tmp := pgData + ".init"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}

	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}

	if err := owner.chown(tmp); err != nil {
		return err
	}

	// initdb reads the password from a file: private to the cluster's owner, in a private
	// folder, and removed with that folder once initdb is done, whatever happens.
	defer os.RemoveAll(tmp)

	pwFile := filepath.Join(tmp, "password")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		return err
	}

	if err := owner.chown(pwFile); err != nil {
		return err
	}

	cluster := filepath.Join(tmp, "cluster")

	args := []string{
		"--pgdata", cluster,
		"--username", pgUser,
		"--pwfile", pwFile,
		"--auth", "scram-sha-256",
		"--encoding", "UTF8",
		"--no-locale",
		"--no-instructions",
	}
	if noFsync {
		args = append(args, "--no-sync")
	}

	cmd := owner.command(filepath.Join(pgHome, "bin", "initdb"), args...)

	err := cmd.Run()

	// The password file goes as soon as initdb has read it.
	if rerr := os.Remove(pwFile); err == nil && rerr != nil {
		err = rerr
	}

	if err != nil {
		return fmt.Errorf("initdb failed (%s): %w", pgHome, err)
	}

	// Settings that do not change between starts; the port and fsync are given per start.
	conf := strings.Join([]string{
		"",
		"# The embedded database: one local client (FerretDB).",
		"listen_addresses = '127.0.0.1'",
		"max_connections = 100",
		"shared_buffers = 128MB",
		// FerretDB binds every value as a parameter; a generic plan would hide the values from
		// the planner and keep it from the expression indexes.
		"plan_cache_mode = force_custom_plan",
		"logging_collector = off",
		// Warnings and errors; PostgreSQL's LOG lines (start, stop) are written at any level.
		"log_min_messages = warning",
		"log_checkpoints = off",
		"",
	}, "\n")

	f, err := os.OpenFile(filepath.Join(cluster, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}

	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}

	if err != nil {
		return err
	}

	// The rename makes the cluster complete: everything it needs is written before.
	if err := os.Rename(cluster, pgData); err != nil {
		return err
	}

	return ctx.Err()
}

// waitForStalePostmaster gives a postgres left from a killed run a moment to finish its
// shutdown (its parent-death signal started one), and fails if the cluster is really in use.
func waitForStalePostmaster(pgData string) error {
	deadline := time.Now().Add(15 * time.Second)

	for {
		b, err := os.ReadFile(filepath.Join(pgData, "postmaster.pid"))
		if err != nil {
			return nil // no postmaster.pid: not running
		}

		pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
		if err != nil || syscall.Kill(pid, 0) != nil {
			return nil // a stale file from a crash; postgres replaces it
		}

		if time.Now().After(deadline) {
			return fmt.Errorf("the embedded PostgreSQL in %s is in use by process %d", pgData, pid)
		}

		time.Sleep(100 * time.Millisecond)
	}
}

func startPostgres(pgData, pgHome string, port int, noFsync bool, owner account) (*exec.Cmd, error) {
	args := []string{
		"-D", pgData,
		"-c", "port=" + strconv.Itoa(port),
		"-c", "unix_socket_directories=" + socketDir(pgData, port),
	}

	if noFsync {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}

	cmd := owner.command(filepath.Join(pgHome, "bin", "postgres"), args...)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start postgres: %w", err)
	}

	return cmd, nil
}

// socketDir is the data folder, unless the socket's path would be too long for a Unix socket
// (then no socket: FerretDB uses the loopback port anyway).
func socketDir(pgData string, port int) string {
	if len(filepath.Join(pgData, ".s.PGSQL."+strconv.Itoa(port))) > unixSocketMax {
		return ""
	}

	return pgData
}

// waitForPostgres waits until the server accepts connections, then creates FerretDB's database.
func waitForPostgres(ctx context.Context, base url.URL, exited chan error) error {
	base.Path = "/postgres"
	deadline := time.Now().Add(60 * time.Second)

	var conn *pgx.Conn

	for {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("postgres exited at start: %v", err)
		default:
		}

		var err error
		if conn, err = pgx.Connect(ctx, base.String()); err == nil {
			break
		}

		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections: %w", err)
		}

		time.Sleep(50 * time.Millisecond)
	}

	defer conn.Close(context.Background())

	var found bool

	err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", dbName).Scan(&found)
	if err != nil {
		return err
	}

	if !found {
		if _, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{dbName}.Sanitize()); err != nil {
			return fmt.Errorf("cannot create the database: %w", err)
		}
	}

	return nil
}
