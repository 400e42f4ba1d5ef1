//! `planmap db init` as an operator meets it, against a throwaway PostgreSQL + PostGIS
//! cluster (planmap-testenv): the schema created, a second run a no-op, bad input one line.

use std::process::{Command, Output};

use planmap_testenv::PgCluster;
use planmap_tests::planmap_bin;

fn db(args: &[&str], env_db: Option<&str>) -> Output {
    let mut c = Command::new(planmap_bin());
    c.arg("db").args(args).env_remove("PLANMAP_DB");
    if let Some(url) = env_db {
        c.env("PLANMAP_DB", url);
    }
    c.output().expect("run planmap db")
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn db_init_creates_the_schema_once() {
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL: {e}"));
    pg.create_database("county").unwrap();
    let url = pg.url("county");

    let o = db(&["init", "--db", &url], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("schema version 0 →"), "{out}");
    assert!(out.contains("applied 1: "), "{out}");
    let tables = pg
        .psql(
            "county",
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'planmap' \
             AND tablename IN ('plans', 'layers', 'layer_versions', 'features', 'checks')",
        )
        .unwrap();
    assert_eq!(tables, "5");
    let migrations = pg
        .psql("county", "SELECT count(*) FROM planmap.migrations")
        .unwrap();

    // PLANMAP_DB instead of --db; nothing left to do.
    let o = db(&["init"], Some(&url));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("nothing to do"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        pg.psql("county", "SELECT count(*) FROM planmap.migrations")
            .unwrap(),
        migrations
    );
}

#[test]
fn db_init_refuses_bad_input_in_one_line() {
    // No database named: the user's to fix (exit 2).
    let o = db(&["init"], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("--db"), "{err}");

    // Not a URL, and its password never printed.
    let o = db(
        &["init", "--db", "postgres://keeper:s3cret@host:port/db"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        !err.contains("s3cret") && err.contains("not a PostgreSQL URL"),
        "{err}"
    );

    // Nothing listening there: exit 1, naming the address.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/county");
    let o = db(&["init", "--db", &url], None);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("127.0.0.1:{port}/county")), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
