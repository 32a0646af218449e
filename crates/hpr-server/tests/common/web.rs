//! A JavaScript-off browser for the web page: plain form posts, redirects followed by hand,
//! the `hpr_web` cookie kept by hand, and every response remembered (for the secrets checks).

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

use super::TestServer;

/// One response the browser saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: &'static str,
    pub url: String,
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// A page as received.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// `<body data-step="…">`.
    pub fn step(&self) -> &str {
        self.attr_after("<body", "data-step").unwrap_or("")
    }

    /// The value of attribute `name` in the first tag starting with `tag_start`.
    pub fn attr_after(&self, tag_start: &str, name: &str) -> Option<&str> {
        let at = self.body.find(tag_start)?;
        let tag = &self.body[at..at + self.body[at..].find('>')?];
        let key = format!("{name}=\"");
        let from = tag.find(&key)? + key.len();
        Some(&tag[from..from + tag[from..].find('"')?])
    }

    /// The opening tag of the element with `id`.
    pub fn tag(&self, id: &str) -> Option<&str> {
        let key = format!("id=\"{id}\"");
        let at = self.body.find(&key)?;
        let start = self.body[..at].rfind('<')?;
        let end = at + self.body[at..].find('>')?;
        Some(&self.body[start..=end])
    }

    /// The text right inside the element with `id` (up to the next tag).
    pub fn text(&self, id: &str) -> Option<String> {
        let key = format!("id=\"{id}\"");
        let at = self.body.find(&key)?;
        let open_end = at + self.body[at..].find('>')? + 1;
        let close = open_end + self.body[open_end..].find('<')?;
        Some(self.body[open_end..close].to_owned())
    }

    /// The CSRF token of the first form.
    pub fn csrf(&self) -> String {
        self.attr_after("name=\"csrf_token\"", "value")
            .or_else(|| {
                let at = self.body.find("name=\"csrf_token\"")?;
                let start = self.body[..at].rfind('<')?;
                let tag = &self.body[start..at + self.body[at..].find('>')?];
                let from = tag.find("value=\"")? + 7;
                Some(&tag[from..from + tag[from..].find('"')?])
            })
            .expect("a csrf_token field")
            .to_owned()
    }

    /// The action of `form#step-form`.
    pub fn action(&self) -> String {
        let tag = self.tag("step-form").expect("form#step-form");
        let from = tag.find("action=\"").expect("an action") + 8;
        tag[from..from + tag[from..].find('"').unwrap()].to_owned()
    }

    /// The values of every `button.suggestion`.
    pub fn suggestions(&self) -> Vec<String> {
        self.body
            .match_indices("class=\"suggestion\"")
            .filter_map(|(at, _)| {
                let tag = &self.body[at..at + self.body[at..].find('>')?];
                let from = tag.find("value=\"")? + 7;
                Some(tag[from..from + tag[from..].find('"')?].to_owned())
            })
            .collect()
    }

    pub fn has(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

/// A browser without JavaScript.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    pub cookie: Option<String>,
    pub seen: Vec<Seen>,
    /// Extra headers on every request (e.g. `X-Forwarded-Proto`).
    pub extra: Vec<(&'static str, String)>,
}

impl Browser {
    pub fn new(server: &TestServer) -> Self {
        Self {
            base: server.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
            seen: Vec::new(),
            extra: Vec::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn send(
        &mut self,
        method: &'static str,
        path: &str,
        form: Option<&[(String, String)]>,
    ) -> Page {
        let url = self.url(path);
        let mut request = match form {
            Some(pairs) => self.client.post(&url).form(pairs),
            None => self.client.get(&url),
        };
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", format!("hpr_web={cookie}"));
        }
        for (name, value) in &self.extra {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            if let Some(rest) = value.strip_prefix("hpr_web=") {
                self.cookie = Some(rest.split(';').next().unwrap().to_owned());
            }
        }
        let body = response.text().await.unwrap();
        let location = headers
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        self.seen.push(Seen {
            method,
            url: url.clone(),
            status,
            location: location.clone(),
            body: body.clone(),
        });
        if (300..400).contains(&status) {
            let to = location.expect("a Location");
            return Box::pin(self.send("GET", &to, None)).await;
        }
        Page {
            status,
            headers,
            body,
        }
    }

    /// `GET path`, following redirects.
    pub async fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None).await
    }

    /// `POST path` with exactly `pairs`, following redirects.
    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Page {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.send("POST", path, Some(&pairs)).await
    }

    /// Submits `form#step-form` of `page` with its CSRF token and `pairs`.
    pub async fn submit(&mut self, page: &Page, pairs: &[(&str, &str)]) -> Page {
        let csrf = page.csrf();
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(pairs);
        let action = page.action();
        self.post(&action, &all).await
    }
}
