//! The binary on its own: copied out of the build (as `cargo install` puts it) and started in
//! an empty folder outside the checkout, it serves the web app built into it, and finds its
//! plan in the user's data folder (`$XDG_DATA_HOME/planmap/plan`); with no plan anywhere it
//! says where it looked.

use std::path::PathBuf;
use std::process::Command;

use planmap_tests::{data_dir, planmap_bin, root, ServeProcess};

/// A folder outside the checkout holding `bin/planmap`, an empty `work/` (the working
/// directory), `home/` and `xdg/` (the user's data folder).
struct Outside {
    dir: tempfile::TempDir,
}

impl Outside {
    fn new() -> Outside {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["bin", "work", "home", "xdg", "system"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        std::fs::copy(planmap_bin(), dir.path().join("bin/planmap")).expect("copy planmap");
        assert!(!dir.path().starts_with(root().canonicalize().unwrap()));
        Outside { dir }
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// `planmap ARGS` in `work/` with nothing of the test's environment but PATH, and the
    /// data folders of this tree.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(self.path("bin/planmap"));
        c.args(args)
            .current_dir(self.path("work"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("xdg"))
            .env("XDG_DATA_DIRS", self.path("system"))
            .env("RUST_LOG", "warn");
        c
    }

    /// The built-in plan linked where a user's plan goes.
    fn install_plan(&self) -> PathBuf {
        let dir = self.path("xdg/planmap");
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(data_dir().canonicalize().unwrap(), dir.join("plan")).unwrap();
        dir
    }
}

/// Starts `planmap serve --addr 127.0.0.1:0 EXTRA…` there.
fn serve(outside: &Outside, extra: &[&str]) -> ServeProcess {
    let mut command = outside.command(&["serve", "--addr", "127.0.0.1:0"]);
    command.args(extra);
    ServeProcess::spawn(command)
}

/// The `src` of the page's module script (`./assets/index-….js`).
fn script_src(html: &str) -> String {
    let at = html
        .find("<script type=\"module\"")
        .expect("a module script");
    let rest = &html[at..];
    let src = &rest[rest.find("src=\"").expect("src") + 5..];
    src[..src.find('"').unwrap()].to_string()
}

#[test]
fn installed_binary_serves_the_web_map_from_an_empty_folder() {
    let dist = root().join("web/dist");
    assert!(
        dist.join("index.html").is_file(),
        "web/dist is missing: `make web` builds it before the binary embeds it"
    );
    let outside = Outside::new();
    let data = outside.install_plan();
    let served = serve(&outside, &[]);
    let url = served.url.clone();
    let client = reqwest::blocking::Client::new();

    let page = client.get(format!("{url}/")).send().unwrap();
    assert_eq!(page.status(), 200);
    let ctype = page.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ctype.starts_with("text/html"), "{ctype}");
    let html = page.text().unwrap();
    // The page is the one `make web` built, byte for byte, though no web/ is near.
    assert_eq!(
        html,
        std::fs::read_to_string(dist.join("index.html")).unwrap()
    );

    let src = script_src(&html);
    let js = client
        .get(format!("{url}/{}", src.trim_start_matches("./")))
        .send()
        .unwrap();
    assert_eq!(js.status(), 200, "{src}");
    let ctype = js.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ctype.contains("javascript"), "{ctype}");
    assert!(js.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let etag = js.headers()["etag"].clone();
    assert_eq!(
        js.bytes().unwrap().as_ref(),
        std::fs::read(dist.join(src.trim_start_matches("./"))).unwrap()
    );
    let again = client
        .get(format!("{url}/{}", src.trim_start_matches("./")))
        .header("If-None-Match", etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);

    // The API works over the plan found in the user's data folder …
    let layers: serde_json::Value = client
        .get(format!("{url}/api/layers"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(!layers["layers"].as_array().unwrap().is_empty());
    // … an unknown path is the JSON 404, and the check history went beside the plan folder.
    let missing = client.get(format!("{url}/no/such/file.js")).send().unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().unwrap().contains("\"error\""));
    drop(served);
    assert!(data.join("history.sqlite").is_file());
    assert_eq!(std::fs::read_dir(outside.path("work")).unwrap().count(), 0);
}

#[test]
fn without_a_plan_it_says_where_it_looked() {
    let outside = Outside::new();
    let out = outside.command(&["stats"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--data") && err.contains("PLANMAP_DATA"),
        "{err}"
    );
    let xdg = outside.path("xdg/planmap/plan");
    assert!(err.contains(&xdg.display().to_string()), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn web_overrides_the_built_in_app() {
    let outside = Outside::new();
    outside.install_plan();
    let web = outside.path("web");
    std::fs::create_dir(&web).unwrap();
    std::fs::write(
        web.join("index.html"),
        "<!doctype html><title>dev build</title>",
    )
    .unwrap();
    let served = serve(&outside, &["--no-history", "--web", web.to_str().unwrap()]);
    let url = served.url.clone();
    let html = reqwest::blocking::get(format!("{url}/"))
        .unwrap()
        .text()
        .unwrap();
    drop(served);
    assert!(html.contains("dev build"), "{html}");
}
