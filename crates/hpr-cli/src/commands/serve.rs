//! `hpr serve`: the REST service until Ctrl-C or SIGTERM; `hpr serve keys …`: its API keys.
//!
//! Stdout carries exactly one `hpr serve: listening on http://ADDR` line (then, with the
//! embedded sandbox, its `[sms]` lines); `keys create` prints only the new key. Problems with
//! flags, the database URL or the address are reported before anything is served, with exit
//! code 2.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use abdm_hpr::backend::BoxFuture;
use abdm_hpr::flow::SystemClock;
use hpr_sandbox::SmsOutput;
use hpr_server::config::OtpPeek;
use hpr_server::db::DbError;
use hpr_server::{Database, ReadinessProbe, Server, ServerConfig};

use crate::backend::Backend;
use crate::cli::{BackendKind, KeysCommand, LogFormat, ServeArgs, ServeCommand};
use crate::exit::{CliError, ExitStatus};

/// Runs `hpr serve` or one of its `keys` commands.
pub fn run(args: ServeArgs) -> Result<ExitStatus, CliError> {
    match args.keys {
        Some(ServeCommand::Keys(command)) => super::block_on(keys(command))?,
        None => {
            let backend = backend(&args)?;
            crate::allocator::purge_in_background();
            super::block_on(serve(args, backend))?
        }
    }
}

/// The registry the service sends steps to, checked before anything starts.
fn backend(args: &ServeArgs) -> Result<(Backend, ReadinessProbe), CliError> {
    let kind = args.registry.backend.unwrap_or(BackendKind::Sandbox);
    if kind != BackendKind::Sandbox
        && (args.sandbox_seed.is_some()
            || args.sandbox_fixed_otp.is_some()
            || args.sandbox_quiet_sms)
    {
        return Err(CliError::usage(
            "--sandbox-seed, --sandbox-fixed-otp and --sandbox-quiet-sms apply only to --backend sandbox",
        ));
    }
    let sms = if args.sandbox_quiet_sms {
        SmsOutput::Silent
    } else {
        SmsOutput::Stdout
    };
    let backend = Backend::of_kind(
        kind,
        &args.registry,
        args.sandbox_seed,
        args.sandbox_fixed_otp.clone(),
        sms,
    )?;
    let probe: ReadinessProbe = match (kind, backend.endpoint.as_deref()) {
        (BackendKind::Gateway, url) => tcp_probe("gateway", url),
        (BackendKind::Abdm, url) => tcp_probe("ABDM HPR host", url),
        (BackendKind::Sandbox, _) => Arc::new(|| Box::pin(async { Ok(()) })),
    };
    Ok((backend, probe))
}

/// Ready when a TCP connection to the host of `url` opens within 2 s.
fn tcp_probe(what: &'static str, url: Option<&str>) -> ReadinessProbe {
    let target = url.and_then(host_and_port);
    Arc::new(move || -> BoxFuture<'static, Result<(), String>> {
        let target = target.clone();
        Box::pin(async move {
            let Some(target) = target else {
                return Err(format!("the {what} URL names no host"));
            };
            match tokio::time::timeout(
                Duration::from_secs(2),
                tokio::net::TcpStream::connect(target.as_str()),
            )
            .await
            {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!("cannot connect to the {what} at {target}: {e}")),
                Err(_) => Err(format!(
                    "no connection to the {what} at {target} within 2 s"
                )),
            }
        })
    })
}

/// `host:port` of an http(s) URL (the default port by scheme).
fn host_and_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    if authority.is_empty() {
        return None;
    }
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && !authority.ends_with(']');
    if has_port {
        Some(authority.to_owned())
    } else {
        let port = if scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            80
        };
        Some(format!("{authority}:{port}"))
    }
}

async fn connect(url: &str) -> Result<Database, CliError> {
    // a URL that does not parse or a database that cannot be opened are both configuration
    Database::connect(url)
        .await
        .map_err(|e: DbError| CliError::usage(e.to_string()))
}

async fn serve(
    args: ServeArgs,
    (backend, readiness): (Backend, ReadinessProbe),
) -> Result<ExitStatus, CliError> {
    let db = connect(&args.database.url).await?;
    db.lock_for_serving()
        .map_err(|e| CliError::usage(e.to_string()))?;
    let config = ServerConfig {
        session_ttl: Duration::from_secs(args.session_ttl_mins * 60),
        rate_limit_per_min: Some(args.rate_limit_per_min).filter(|n| *n > 0),
        body_limit: usize::try_from(args.body_limit_bytes).unwrap_or(65_536),
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        cors_origins: args.cors_origins.clone(),
        claim_ttl: args
            .claim_ttl_secs
            .map_or(abdm_hpr::flow::DEFAULT_CLAIM_TTL, Duration::from_secs),
        // the web page is open to anyone only on the embedded sandbox, which shows its fake
        // SMS OTPs on the page; a real registry needs a link from the API
        web_open_access: backend.embedded.is_some(),
        web_otp_peek: backend.embedded.clone().map(|sandbox| {
            OtpPeek(Arc::new(move |txn: &str| {
                sandbox.latest_otp(txn).map(|sent| sent.otp)
            }))
        }),
        ..ServerConfig::default()
    };
    let server = Server::bind(
        args.addr,
        db,
        backend.client.clone(),
        Arc::new(SystemClock),
        readiness,
        config,
    )
    .await
    .map_err(|e| CliError::usage(format!("--addr {}: {e}", args.addr)))?;
    let addr = server
        .local_addr()
        .map_err(|e| CliError::failure(format!("cannot read the bound address: {e}")))?;
    let json = args.log_format == LogFormat::Json;
    if backend.embedded.is_some() {
        let otps = if args.sandbox_quiet_sms {
            "OTPs are not printed (--sandbox-quiet-sms)"
        } else {
            "OTPs are printed on stdout as [sms] lines"
        };
        if json {
            tracing::warn!(
                "SANDBOX: registrations go to an embedded offline simulator, not to HPR; no real HPR ID is created; {otps}; use --backend gateway or abdm for a real registry"
            );
        } else {
            eprintln!(
                "\n  *** SANDBOX: registrations go to an embedded offline simulator, not to HPR.\n  \
                 *** No real HPR ID is created; {otps}.\n  \
                 *** Use --backend gateway or --backend abdm for a real registry.\n"
            );
        }
    } else {
        notice(
            json,
            &format!("hpr serve: steps go to {}", backend.description),
        );
    }
    notice(
        json,
        &format!(
            "hpr serve: database {}; create an API key with `hpr serve keys create --name NAME`",
            hpr_server::db::redact_url(&args.database.url)
        ),
    );
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "hpr serve: listening on http://{addr}");
    let _ = stdout.flush();
    drop(stdout);
    notice(
        json,
        &if backend.embedded.is_some() {
            format!(
                "hpr serve: open http://{addr}/register in a browser to register (sandbox: open access)"
            )
        } else {
            format!(
                "hpr serve: open http://{addr}/register in a browser with a link from POST /v1/registrations/links"
            )
        },
    );
    server
        .serve(hpr_server::shutdown_signal())
        .await
        .map_err(|e| CliError::failure(format!("the server stopped: {e}")))?;
    notice(json, "hpr serve: stopped");
    Ok(ExitStatus::Success)
}

/// A line for the operator on stderr: plain text, or with `--log-format json` an info event,
/// so that every stderr line is then a JSON object a log collector can read (found by the
/// `serve_cmd` tests: these lines used to be plain text in JSON mode).
fn notice(json: bool, text: &str) {
    if json {
        tracing::info!("{text}");
    } else {
        eprintln!("{text}");
    }
}

async fn keys(command: KeysCommand) -> Result<ExitStatus, CliError> {
    match command {
        KeysCommand::Create {
            name,
            tenant,
            database,
        } => {
            hpr_server::keys::check_name("--name", &name).map_err(CliError::usage)?;
            let tenant = tenant.unwrap_or_else(|| name.clone());
            hpr_server::keys::check_name("--tenant", &tenant).map_err(CliError::usage)?;
            let db = connect(&database.url).await?;
            let key = hpr_server::keys::generate().map_err(CliError::failure)?;
            let created = db
                .insert_key(
                    &name,
                    &tenant,
                    &hpr_server::keys::hash(&key),
                    SystemTime::now(),
                )
                .await
                .map_err(|e| CliError::failure(e.to_string()))?;
            db.close().await;
            if !created {
                return Err(CliError::usage(format!(
                    "--name {name}: a key with this name exists already (revoke it or pick another name)"
                )));
            }
            println!("{key}");
            eprintln!(
                "hpr serve: created key {name} for tenant {tenant}; it is shown only this once"
            );
            Ok(ExitStatus::Success)
        }
        KeysCommand::List { database } => {
            let db = connect(&database.url).await?;
            let rows = db
                .list_keys()
                .await
                .map_err(|e| CliError::failure(e.to_string()))?;
            db.close().await;
            println!("name\ttenant\tcreated\trevoked");
            for row in rows {
                println!(
                    "{}\t{}\t{}\t{}",
                    row.name,
                    row.tenant,
                    hpr_server::views::rfc3339(row.created_at),
                    row.revoked_at
                        .map_or_else(|| "-".to_owned(), hpr_server::views::rfc3339)
                );
            }
            Ok(ExitStatus::Success)
        }
        KeysCommand::Revoke { name, database } => {
            let db = connect(&database.url).await?;
            let revoked = db
                .revoke_key(&name, SystemTime::now())
                .await
                .map_err(|e| CliError::failure(e.to_string()))?;
            db.close().await;
            if revoked {
                eprintln!("hpr serve: revoked key {name}");
                Ok(ExitStatus::Success)
            } else {
                Err(CliError::usage(format!(
                    "no live key named {name} (`hpr serve keys list` shows them)"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::host_and_port;

    #[test]
    fn the_probe_target_comes_from_the_url() {
        assert_eq!(
            host_and_port("http://127.0.0.1:8080/api").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            host_and_port("https://gw.example").as_deref(),
            Some("gw.example:443")
        );
        assert_eq!(
            host_and_port("http://u:p@[::1]:9/x").as_deref(),
            Some("[::1]:9")
        );
        assert_eq!(host_and_port("http://[::1]").as_deref(), Some("[::1]:80"));
        assert_eq!(host_and_port("nonsense"), None);
    }
}
