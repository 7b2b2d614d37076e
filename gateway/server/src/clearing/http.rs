//! Clearing records over HTTP or HTTPS: a venue's clearing endpoint
//! (sim-venue's `GET /{venue}/clearing` serves CSV) read with hyper's
//! HTTP/1.1 client, over rustls (ring) for `https://`, trusting a
//! configured CA file or else the public web PKI roots.

use super::{ClearingError, ClearingFile, ClearingSource};
use async_trait::async_trait;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{header, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// How long a fetch may take, connection to last byte.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a clearing URL is not one the gateway can fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not a URL: {0}")]
    Invalid(String),
    #[error("must start with http:// or https://")]
    Scheme,
    #[error("no host")]
    NoHost,
    #[error("port {0:?} is not a number")]
    Port(String),
}

/// An `http://` or `https://` URL, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearingUrl {
    uri: Uri,
    tls: bool,
    host: String,
    port: u16,
}

impl ClearingUrl {
    pub fn parse(url: &str) -> Result<ClearingUrl, UrlError> {
        let uri: Uri = url
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| UrlError::Invalid(e.to_string()))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(UrlError::Scheme),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or(UrlError::NoHost)?;
        // An IPv6 literal is bracketed in the URL, bare as a name.
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        // The port as written (`Uri` takes a port that is no number as
        // none at all).
        let authority = uri.authority().map_or("", |a| a.as_str());
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let after_host = host_port.rsplit_once(']').map_or(host_port, |(_, r)| r);
        let port = match after_host.rsplit_once(':') {
            None if tls => 443,
            None => 80,
            Some((_, p)) => p.parse().map_err(|_| UrlError::Port(p.to_owned()))?,
        };
        Ok(ClearingUrl {
            uri,
            tls,
            host,
            port,
        })
    }

    /// Whether the URL is `https://`.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path and query (`/` if the URL has none).
    pub fn path(&self) -> &str {
        self.uri.path_and_query().map_or("/", |p| p.as_str())
    }
}

impl std::fmt::Display for ClearingUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.uri.fmt(f)
    }
}

/// Why a GET failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("GET {url}: no answer within {} s", TIMEOUT.as_secs())]
    Timeout { url: String },
    #[error("GET {url}: {source}")]
    Connect { url: String, source: std::io::Error },
    #[error("GET {url}: {source}")]
    Protocol { url: String, source: hyper::Error },
    #[error("GET {url}: {status}: {body}")]
    Status {
        url: String,
        status: StatusCode,
        body: String,
    },
    #[error("GET {url}: body not UTF-8")]
    NotUtf8 { url: String },
    #[error("GET {url}: {source}")]
    TlsConfig { url: String, source: rustls::Error },
    #[error("GET {url}: {source}")]
    Request {
        url: String,
        source: hyper::http::Error,
    },
    #[error("GET {url}: {source}")]
    Tls {
        url: String,
        source: Box<fix_engine::transport::tls::TlsError>,
    },
}

/// A venue's clearing output at a URL.
#[derive(Debug, Clone)]
pub struct HttpSource {
    url: ClearingUrl,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl HttpSource {
    /// A source for `url`; for `https://`, trusting the CA certificates
    /// in `ca_file` (PEM) if given, else the public web PKI roots.
    pub fn new(url: ClearingUrl, ca_file: Option<&Path>) -> Result<HttpSource, HttpError> {
        let tls = if url.tls {
            let roots = match ca_file {
                Some(p) => {
                    fix_engine::transport::tls::load_roots(p).map_err(|source| HttpError::Tls {
                        url: url.to_string(),
                        source: Box::new(source),
                    })?
                }
                None => rustls::RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                },
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let cfg = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|source| HttpError::TlsConfig {
                    url: url.to_string(),
                    source,
                })?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Some(Arc::new(cfg))
        } else {
            None
        };
        Ok(HttpSource { url, tls })
    }

    /// GET the URL: the body of a 200 response, as text.
    pub async fn get(&self) -> Result<String, HttpError> {
        let url = self.url.to_string();
        tokio::time::timeout(TIMEOUT, self.get_now())
            .await
            .map_err(|_| HttpError::Timeout { url })?
    }

    async fn get_now(&self) -> Result<String, HttpError> {
        let u = &self.url;
        let url = u.to_string();
        let connect = |source| HttpError::Connect {
            url: url.clone(),
            source,
        };
        let authority = match u.uri.authority() {
            Some(a) => a.as_str().to_owned(),
            None => u.host.clone(),
        };
        let req = Request::get(u.path())
            .header(header::HOST, authority)
            .header(header::ACCEPT, "text/csv, text/plain")
            .header(header::CONNECTION, "close")
            .body(Empty::<Bytes>::new())
            .map_err(|source| HttpError::Request {
                url: url.clone(),
                source,
            })?;
        let tcp = TcpStream::connect((u.host.as_str(), u.port))
            .await
            .map_err(connect)?;
        let (status, body) = match &self.tls {
            Some(cfg) => {
                let name = ServerName::try_from(u.host.clone()).map_err(|_| HttpError::Tls {
                    url: url.clone(),
                    source: Box::new(fix_engine::transport::tls::TlsError::BadServerName {
                        host: u.host.clone(),
                    }),
                })?;
                let stream = tokio_rustls::TlsConnector::from(cfg.clone())
                    .connect(name, tcp)
                    .await
                    .map_err(connect)?;
                request(TokioIo::new(stream), req).await
            }
            None => request(TokioIo::new(tcp), req).await,
        }
        .map_err(|source| HttpError::Protocol {
            url: url.clone(),
            source,
        })?;
        let text = String::from_utf8(body.to_vec())
            .map_err(|_| HttpError::NotUtf8 { url: url.clone() })?;
        if status != StatusCode::OK {
            return Err(HttpError::Status {
                url,
                status,
                body: text.trim().to_owned(),
            });
        }
        Ok(text)
    }
}

/// One HTTP/1.1 request on `io` (the connection is closed afterwards).
async fn request<I>(io: I, req: Request<Empty<Bytes>>) -> Result<(StatusCode, Bytes), hyper::Error>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await?;
    let driver = tokio::spawn(conn);
    let result = async {
        let resp = sender.send_request(req).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
    .await;
    driver.abort();
    result
}

#[async_trait]
impl ClearingSource for HttpSource {
    async fn fetch(&self) -> Result<Vec<ClearingFile>, ClearingError> {
        Ok(vec![ClearingFile {
            name: self.url.to_string(),
            text: self.get().await?,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

    #[test]
    fn urls() {
        let u = ClearingUrl::parse("http://127.0.0.1:9000/SIMX/clearing?day=1").unwrap();
        assert_eq!(
            (u.host(), u.port(), u.path(), u.is_tls()),
            ("127.0.0.1", 9000, "/SIMX/clearing?day=1", false)
        );
        assert_eq!(ClearingUrl::parse("http://h").unwrap().port(), 80);
        assert_eq!(ClearingUrl::parse("http://h").unwrap().path(), "/");
        let u = ClearingUrl::parse("https://[::1]/c").unwrap();
        assert_eq!((u.host(), u.port(), u.is_tls()), ("::1", 443, true));
        assert_eq!(ClearingUrl::parse("ftp://h/x"), Err(UrlError::Scheme));
        assert_eq!(ClearingUrl::parse("/just/a/path"), Err(UrlError::Scheme));
        assert_eq!(
            ClearingUrl::parse("http://h:x/"),
            Err(UrlError::Port("x".into()))
        );
        assert!(matches!(
            ClearingUrl::parse("http://h h/"),
            Err(UrlError::Invalid(_))
        ));
    }

    /// Answers each connection with the next of `replies` after checking
    /// the request line.
    async fn serve<S>(mut s: S, reply: &str)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut req = Vec::new();
        let mut buf = [0u8; 1024];
        while !req.ends_with(b"\r\n\r\n") {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "request ended early");
            req.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8(req).unwrap();
        assert!(text.starts_with("GET /V/clearing HTTP/1.1\r\n"), "{text}");
        assert!(text.to_ascii_lowercase().contains("host: "), "{text}");
        s.write_all(reply.as_bytes()).await.unwrap();
        s.shutdown().await.unwrap();
    }

    const REPLIES: [&str; 3] = [
        "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: 6\r\n\r\na,b\n1,",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\na,b\r\n4;x=y\r\n\n1,2\r\n0\r\n\r\n",
        "HTTP/1.1 400 Bad Request\r\ncontent-length: 13\r\n\r\nno venue \"X\"\n",
    ];

    async fn check_replies(src: &HttpSource) {
        assert_eq!(src.get().await.unwrap(), "a,b\n1,");
        assert_eq!(src.get().await.unwrap(), "a,b\n1,2");
        let e = src.get().await.unwrap_err();
        assert!(
            matches!(&e, HttpError::Status { status, .. } if status.as_u16() == 400),
            "{e}"
        );
        let e = e.to_string();
        assert!(e.contains("400") && e.contains("no venue"), "{e}");
    }

    #[tokio::test]
    async fn get_reads_a_real_server_with_length_chunks_and_errors() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            for reply in REPLIES {
                let (s, _) = l.accept().await.unwrap();
                serve(s, reply).await;
            }
        });
        let u = ClearingUrl::parse(&format!("http://127.0.0.1:{port}/V/clearing")).unwrap();
        check_replies(&HttpSource::new(u, None).unwrap()).await;
        server.await.unwrap();
    }

    fn certs() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../certs")
    }

    #[tokio::test]
    async fn https_trusts_the_configured_ca() {
        let files = fix_engine::transport::tls::ServerTlsFiles {
            cert: certs().join("server.pem"),
            key: certs().join("server-key.pem"),
            client_ca: None,
            client_cert_required: None,
            versions: Default::default(),
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(
            fix_engine::transport::tls::server_config(&files).unwrap(),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            for reply in REPLIES {
                let (s, _) = l.accept().await.unwrap();
                serve(acceptor.accept(s).await.unwrap(), reply).await;
            }
            // A client that does not trust the CA fails the handshake.
            let (s, _) = l.accept().await.unwrap();
            assert!(acceptor.accept(s).await.is_err());
        });
        let url = format!("https://127.0.0.1:{port}/V/clearing");
        let ca = certs().join("ca.pem");
        let src = HttpSource::new(ClearingUrl::parse(&url).unwrap(), Some(&ca)).unwrap();
        check_replies(&src).await;
        let public_roots = HttpSource::new(ClearingUrl::parse(&url).unwrap(), None).unwrap();
        let e = public_roots.get().await.unwrap_err();
        assert!(matches!(e, HttpError::Connect { .. }), "{e}");
        server.await.unwrap();
        // A CA file that is not there is an error at set-up.
        let missing = certs().join("no-such-ca.pem");
        assert!(HttpSource::new(ClearingUrl::parse(&url).unwrap(), Some(&missing)).is_err());
    }
}
