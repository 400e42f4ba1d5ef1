//! Who may do what: reads are public; the data keeper's endpoints need the bearer token of
//! the server's settings (401 without credentials, 403 with wrong ones, disabled when the
//! server has none).

mod serve_support;

use std::sync::OnceLock;

use planmap_server::auth::AdminToken;
use serve_support::*;

const TOKEN: &str = "access-test-token-0123456789";

/// A server of this binary with the token configured (the shared `base()` has none).
fn guarded() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut config = test_config();
        config.admin_token = Some(AdminToken::new(TOKEN).unwrap());
        serve(config)
    })
}

fn reload(base: &str, auth: Option<&str>) -> reqwest::blocking::Response {
    let mut r = client().post(format!("{base}/api/admin/reload"));
    if let Some(a) = auth {
        r = r.header("Authorization", a);
    }
    r.send().expect("POST reload")
}

fn error_of(r: reqwest::blocking::Response) -> (u16, serde_json::Value) {
    let code = r.status().as_u16();
    let ct = header(&r, "content-type");
    assert!(ct.contains("json"), "content-type {ct}");
    (code, r.json().expect("a JSON body"))
}

#[test]
fn without_credentials_the_answer_is_401_with_a_bearer_challenge() {
    for auth in [
        None,
        Some("Basic YWRtaW46YWRtaW4="),
        Some("Bearer"),
        Some(TOKEN),
    ] {
        let r = reload(guarded(), auth);
        assert_eq!(
            header(&r, "www-authenticate"),
            "Bearer realm=\"planmap\"",
            "{auth:?}"
        );
        let (code, body) = error_of(r);
        assert_eq!(code, 401, "{auth:?}: {body}");
        assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
    }
}

#[test]
fn a_wrong_token_is_403_whatever_its_length() {
    let near = &TOKEN[..TOKEN.len() - 1];
    for given in [near, "x", &format!("{TOKEN}0"), &"a".repeat(4096)] {
        let r = reload(guarded(), Some(&format!("Bearer {given}")));
        assert_eq!(header(&r, "www-authenticate"), "");
        let (code, body) = error_of(r);
        assert_eq!(code, 403, "{body}");
    }
}

#[test]
fn the_right_token_reloads() {
    let (code, body) = error_of(reload(guarded(), Some(&format!("Bearer {TOKEN}"))));
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["reloaded"], true);
    assert_eq!(body["changed"], false, "nothing changed on disk");
}

#[test]
fn with_no_token_configured_the_keeper_endpoints_are_disabled() {
    let (code, body) = error_of(reload(base(), Some(&format!("Bearer {TOKEN}"))));
    assert_eq!(code, 404, "{body}");
    assert_eq!(body["reason"], "disabled");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("PLANMAP_ADMIN_TOKEN"),
        "{body}"
    );
}

#[test]
fn reads_stay_public_on_a_guarded_server() {
    for path in [
        "/api/plan",
        "/api/layers",
        "/api/layers/red_line.geojson",
        "/ogc/collections",
    ] {
        let r = client().get(format!("{}{path}", guarded())).send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}
