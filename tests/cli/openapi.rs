//! `/openapi.json` stays true: every documented operation is called on a real server,
//! with good and bad input, and every answer's status must be documented and its body
//! must match the documented schema (checked by a small JSON Schema reader below:
//! $ref, type, const, required, properties, additionalProperties, items, oneOf, minimum,
//! minItems, maxItems). `.ci/run` also runs schemathesis against the same description.

use crate::harness::TestEnv;
use crate::serve::Served;
use serde_json::Value;

fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s["$ref"].as_str() {
        Some(r) => {
            let mut at = doc;
            for part in r.trim_start_matches("#/").split('/') {
                at = &at[part];
            }
            resolve(doc, at)
        }
        None => s,
    }
}

/// Why `v` does not match schema `s`, if it does not.
fn mismatch(doc: &Value, s: &Value, v: &Value, at: &str) -> Option<String> {
    let s = resolve(doc, s);
    if let Some(options) = s["oneOf"].as_array() {
        let matching = options
            .iter()
            .filter(|o| mismatch(doc, o, v, at).is_none())
            .count();
        return (matching != 1).then(|| format!("{at}: {matching} of oneOf match"));
    }
    if let Some(c) = s.get("const") {
        if c != v {
            return Some(format!("{at}: {v} is not {c}"));
        }
    }
    let ok = match s["type"].as_str() {
        None => true,
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_u64() || v.is_i64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        Some(t) => return Some(format!("{at}: the schema's type {t} is not known here")),
    };
    if !ok {
        return Some(format!("{at}: {v} is not of type {}", s["type"]));
    }
    if let (Some(min), Some(n)) = (s["minimum"].as_f64(), v.as_f64()) {
        if n < min {
            return Some(format!("{at}: {n} < {min}"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in s["required"].as_array().into_iter().flatten() {
            if !obj.contains_key(r.as_str().unwrap()) {
                return Some(format!("{at}: {r} is missing"));
            }
        }
        for (k, x) in obj {
            match s["properties"].get(k) {
                Some(p) => {
                    if let Some(m) = mismatch(doc, p, x, &format!("{at}.{k}")) {
                        return Some(m);
                    }
                }
                None if s["additionalProperties"] == false => {
                    return Some(format!("{at}: {k} is not documented"))
                }
                None => {}
            }
        }
    }
    if let Some(items) = v.as_array() {
        if s["minItems"].as_u64().is_some_and(|n| (items.len() as u64) < n)
            || s["maxItems"].as_u64().is_some_and(|n| (items.len() as u64) > n)
        {
            return Some(format!("{at}: {} items", items.len()));
        }
        if let Some(each) = s.get("items") {
            for (i, x) in items.iter().enumerate() {
                if let Some(m) = mismatch(doc, each, x, &format!("{at}[{i}]")) {
                    return Some(m);
                }
            }
        }
    }
    None
}

/// Checks one answer of operation `method path` against the description.
fn check(doc: &Value, method: &str, path: &str, r: reqwest::blocking::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
    let body = r.text().unwrap();
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    let answer = resolve(doc, &op["responses"][status.to_string()]);
    assert!(
        answer.is_object(),
        "{method} {path}: status {status} is not documented: {body}"
    );
    let media = kind.split(';').next().unwrap();
    let schema = &answer["content"][media]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status}: {kind} is not documented"
    );
    if media == "application/json" {
        let v: Value = serde_json::from_str(&body).unwrap();
        if let Some(m) = mismatch(doc, schema, &v, "$") {
            panic!("{method} {path} {status}: {m}\n{body}");
        }
    }
    (status, body)
}

#[test]
fn every_answer_of_the_json_api_is_one_its_openapi_description_allows() {
    let env = TestEnv::new();
    env.init();
    let v = env
        .run(&[
            "--json",
            "token",
            "add",
            "ci",
            "--tokens",
            "t.json",
            "--kind",
            "observation",
        ])
        .ok()
        .json();
    let token = v["token"].as_str().unwrap().to_owned();
    let mut args: Vec<&str> = Served::ARGS.to_vec();
    args.extend_from_slice(&["--tokens", "t.json"]);
    let server = Served::spawn(env.command(&args));
    let u = &server.url;
    let doc: Value = serde_json::from_str(
        &reqwest::blocking::get(format!("{u}/openapi.json"))
            .unwrap()
            .text()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let http = reqwest::blocking::Client::new();
    let post = |body: &str, auth: Option<&str>| {
        let mut r = http
            .post(format!("{u}/entries"))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(a) = auth {
            r = r.bearer_auth(a);
        }
        check(&doc, "post", "/entries", r.send().unwrap())
    };
    let mut seen = std::collections::BTreeSet::new();
    for (body, auth) in [
        (
            r#"{"kind":"observation","content":{"n":1}}"#,
            Some(token.as_str()),
        ),
        (
            r#"{"entries":[{"kind":"observation","content":{"n":2}},{"kind":"observation","content":{}}]}"#,
            Some(&token),
        ),
        (r#"{"kind":"observation","content":{}}"#, None),
        (r#"{"kind":"decision","content":{}}"#, Some(&token)),
        ("[1]", Some(&token)),
        (
            r#"{"kind":"observation","content":{},"refs":["01ARZ3NDEKTSV4RRFFQ69G5FAV"]}"#,
            Some(&token),
        ),
    ] {
        seen.insert(post(body, auth).0);
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        vec![201, 400, 401, 403, 422]
    );
    for (path, template) in [
        ("/entries/1", "/entries/{id}"),
        ("/entries/0", "/entries/{id}"),
        ("/entries/99", "/entries/{id}"),
        ("/entries/not-an-id", "/entries/{id}"),
        ("/entries/1/proof", "/entries/{id}/proof"),
        ("/entries/%00/proof", "/entries/{id}/proof"),
        ("/consistency?from=1", "/consistency"),
        ("/consistency?from=1&to=2", "/consistency"),
        ("/consistency?from=2&to=1", "/consistency"),
        ("/consistency?from=x", "/consistency"),
        ("/consistency?from=5", "/consistency"),
        ("/health", "/health"),
    ] {
        check(
            &doc,
            "get",
            template,
            http.get(format!("{u}{path}")).send().unwrap(),
        );
    }
    // Every JSON route the server has is described, and nothing else is.
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        [
            "/consistency",
            "/entries",
            "/entries/{id}",
            "/entries/{id}/proof",
            "/health"
        ]
    );
}

#[test]
fn the_schema_reader_refuses_what_a_schema_does_not_allow() {
    let doc: Value = serde_json::from_str(include_str!("../../src/serve/openapi.json")).unwrap();
    let entry = &doc["components"]["schemas"]["Appended"];
    let good = serde_json::json!({"size": 2, "entries": [{"seq": 1, "id": "x", "receipt": "r"}]});
    assert_eq!(mismatch(&doc, entry, &good, "$"), None);
    for bad in [
        serde_json::json!({"size": 2}),
        serde_json::json!({"size": -1, "entries": []}),
        serde_json::json!({"size": 2, "entries": [{"seq": 1, "id": "x"}]}),
        serde_json::json!({"size": 2, "entries": [], "more": 1}),
        serde_json::json!({"size": "2", "entries": []}),
    ] {
        assert!(mismatch(&doc, entry, &bad, "$").is_some(), "{bad}");
    }
}
