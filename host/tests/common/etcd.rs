//! A real etcd (Debian's `etcd`, from etcd-server) for the tests: one member or a cluster, on free
//! ports, its data in a temporary folder, killed when dropped. Fails, never skips, when etcd is
//! missing.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use etcd_client::{Client, GetOptions};
use tempfile::TempDir;

/// How long a member may take to serve requests.
const START_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct Member {
    name: String,
    client_port: u16,
    peer_port: u16,
    child: Option<Child>,
}

/// A running etcd cluster.
#[derive(Debug)]
pub struct Etcd {
    members: Vec<Member>,
    dir: TempDir,
    cluster: String,
}

impl Etcd {
    /// One member.
    pub fn start() -> Self {
        Self::cluster(1)
    }

    /// `size` members, all serving.
    pub fn cluster(size: usize) -> Self {
        for attempt in 0.. {
            assert!(attempt < 5, "etcd did not start in 5 attempts");
            // Ports are free when picked; another test may take one before etcd binds it.
            let mut ports = Vec::new();
            {
                let listeners: Vec<TcpListener> = (0..size * 2)
                    .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
                    .collect();
                for listener in &listeners {
                    ports.push(listener.local_addr().expect("a port").port());
                }
            }
            let members: Vec<Member> = (0..size)
                .map(|i| Member {
                    name: format!("m{i}"),
                    client_port: ports[2 * i],
                    peer_port: ports[2 * i + 1],
                    child: None,
                })
                .collect();
            let cluster = members
                .iter()
                .map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer_port))
                .collect::<Vec<_>>()
                .join(",");
            let mut etcd = Self {
                members,
                dir: tempfile::tempdir().expect("a temporary folder"),
                cluster,
            };
            for i in 0..size {
                etcd.spawn(i);
            }
            if (0..size).all(|i| etcd.wait_ready(i)) {
                return etcd;
            }
        }
        unreachable!("the loop returns or fails")
    }

    fn spawn(&mut self, i: usize) {
        let member = &self.members[i];
        let data = self.dir.path().join(&member.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join(format!("{}.log", member.name)))
            .expect("a log file");
        let client = format!("http://127.0.0.1:{}", member.client_port);
        let peer = format!("http://127.0.0.1:{}", member.peer_port);
        let child = Command::new("etcd")
            .args(["--name", &member.name])
            .arg("--data-dir")
            .arg(&data)
            .args(["--listen-client-urls", &client])
            .args(["--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &self.cluster])
            .args(["--initial-cluster-state", "new"])
            // Quick elections when a member dies; leases down to 1 s.
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log)
            .spawn()
            .expect("etcd starts: install it with scripts/install-toolchain.sh (etcd-server)");
        self.members[i].child = Some(child);
    }

    /// Waits until member `i` answers `/health`; false when it exited (a port was taken).
    fn wait_ready(&mut self, i: usize) -> bool {
        let started = Instant::now();
        loop {
            assert!(
                started.elapsed() < START_TIMEOUT,
                "etcd member {i} did not become healthy within {START_TIMEOUT:?}: {}",
                self.log(i)
            );
            let child = self.members[i].child.as_mut().expect("a started member");
            if child.try_wait().expect("etcd's status").is_some() {
                return false;
            }
            if health(self.members[i].client_port) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Member `i`'s log.
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(
            self.dir
                .path()
                .join(format!("{}.log", self.members[i].name)),
        )
        .unwrap_or_default()
    }

    /// `HOST:PORT,...` of every member.
    pub fn endpoints(&self) -> String {
        self.members
            .iter()
            .map(|m| format!("127.0.0.1:{}", m.client_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `etcd://ENDPOINTS/PREFIX`.
    pub fn url(&self, prefix: &str) -> String {
        format!("etcd://{}/{prefix}", self.endpoints())
    }

    /// Kills member `i` with SIGKILL.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.members[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts member `i` again on its data, and waits until it serves.
    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        self.spawn(i);
        assert!(
            self.wait_ready(i),
            "etcd member {i} restarts: {}",
            self.log(i)
        );
    }

    /// Stops every member.
    pub fn stop(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }

    /// Restarts every member.
    pub fn restart_all(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
            self.spawn(i);
        }
        for i in 0..self.members.len() {
            assert!(
                self.wait_ready(i),
                "etcd member {i} restarts: {}",
                self.log(i)
            );
        }
    }

    /// Runs `f` with a client of member `i` alone.
    pub fn with_client<T>(
        &self,
        i: usize,
        f: impl AsyncFnOnce(&mut Client) -> Result<T, etcd_client::Error>,
    ) -> T {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let endpoint = format!("127.0.0.1:{}", self.members[i].client_port);
        runtime.block_on(async {
            let mut client = Client::connect([endpoint], None)
                .await
                .expect("etcd connects");
            f(&mut client).await.expect("etcd answers")
        })
    }

    /// Every key (as text) and value under `prefix`, at member `i`.
    pub fn entries(&self, i: usize, prefix: &str) -> Vec<(String, Vec<u8>)> {
        let prefix = prefix.to_owned();
        self.with_client(i, async move |client| {
            let answer = client
                .get(prefix, Some(GetOptions::new().with_prefix()))
                .await?;
            Ok(answer
                .kvs()
                .iter()
                .map(|kv| {
                    (
                        String::from_utf8_lossy(kv.key()).into_owned(),
                        kv.value().to_vec(),
                    )
                })
                .collect())
        })
    }

    /// Every key under `prefix`.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let prefix = prefix.to_owned();
        self.with_client(0, async move |client| {
            let options = GetOptions::new().with_prefix().with_keys_only();
            let answer = client.get(prefix, Some(options)).await?;
            Ok(answer
                .kvs()
                .iter()
                .map(|kv| String::from_utf8_lossy(kv.key()).into_owned())
                .collect())
        })
    }

    /// Puts `value` at `key`.
    pub fn put(&self, key: &str, value: impl Into<Vec<u8>>) {
        let (key, value) = (key.to_owned(), value.into());
        self.with_client(0, async move |client| {
            client.put(key, value, None).await.map(|_| ())
        });
    }

    /// Revokes every lease: every writer's lock goes.
    pub fn revoke_leases(&self) -> usize {
        self.with_client(0, async |client| {
            let leases = client.leases().await?;
            let ids: Vec<i64> = leases.leases().iter().map(|lease| lease.id()).collect();
            for id in &ids {
                client.lease_revoke(*id).await?;
            }
            Ok(ids.len())
        })
    }

    /// The folder holding the members' data and logs.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether etcd on `port` says it is healthy (it has a leader).
fn health(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /health HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.contains("\"health\":\"true\"")
}
