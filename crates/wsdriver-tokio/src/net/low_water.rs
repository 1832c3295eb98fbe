//! A plain TCP connection's receive low-water mark (`SO_RCVLOWAT`), raised
//! while a large frame is half read.
//!
//! A server that keeps up with its sender catches a large frame in pieces:
//! it reads what has come, finds the socket empty, sleeps in `epoll_wait`,
//! wakes for the next 64 KiB, and so on, a read, a wait and a context
//! switch per piece (a 1 MiB echo took 7 to 9 syscalls where 3 do). With
//! the mark at the rest of the frame, the kernel wakes the connection once,
//! when the whole rest is there; the next wait at a frame boundary puts it
//! back to 1 byte, so a small message or a close is never held back.
//!
//! Only where the mark is exact:
//! - plain TCP owned by the `WebSocket` (`TcpStream`, or the `Plain` arm of
//!   [`MaybeTlsStream`] and [`ServerStream`]). Under TLS the socket
//!   carries records, not the frame's bytes, and rustls may already hold
//!   some of the rest: a mark of the rest could then never be reached.
//! - while the connection runs no timer. The mark hides bytes that are
//!   arriving; an idle timeout would take a slow upload of a large frame
//!   for silence.
//! - on Linux 5.8 and later. Older kernels could stall below the mark
//!   when the receive buffer or memory ran short (fixed in 5.0 and 5.8).

use crate::net::server_stream::ServerStream;
use crate::net::stream::MaybeTlsStream;
use std::any::Any;
use std::io;
use tokio::net::TcpStream;

/// A frame with less than this still to come is read as it arrives: its
/// rest is one or two pieces, and raising and lowering the mark would cost
/// two syscalls to save about one wake-up.
const THRESHOLD: usize = 64 * 1024;

/// The mark of one socket, as last set; or no socket to set it on.
#[derive(Debug)]
pub(crate) struct LowWater {
    fd: sys::Fd,
    /// 1 is the kernel's default: readable at the first byte.
    mark: usize,
    /// The least rest that may change the mark: `THRESHOLD` while it is
    /// 1, 0 while it is raised, `usize::MAX` without a socket. One
    /// comparison before every wait, as between small messages.
    check_from: usize,
}

impl Default for LowWater {
    /// For a stream that takes no mark.
    fn default() -> Self {
        LowWater {
            fd: sys::NO_FD,
            mark: 1,
            check_from: usize::MAX,
        }
    }
}

impl LowWater {
    /// For a stream whose socket can take the mark (see the module doc);
    /// for any other, one that never sets it.
    ///
    /// The file descriptor is taken once: the `WebSocket` owns the stream
    /// and never hands it out to be replaced, so it stays this socket's
    /// for as long as the `WebSocket`, and with it this value, lives.
    pub(crate) fn of<S: 'static>(stream: &S) -> Self {
        let stream: &dyn Any = stream;
        let tcp = if let Some(tcp) = stream.downcast_ref::<TcpStream>() {
            tcp
        } else if let Some(MaybeTlsStream::Plain(tcp)) = stream.downcast_ref::<MaybeTlsStream>() {
            tcp
        } else if let Some(ServerStream::Plain(tcp)) = stream.downcast_ref::<ServerStream>() {
            tcp
        } else {
            return LowWater::default();
        };
        if !sys::supported() {
            return LowWater::default();
        }
        LowWater {
            fd: sys::fd(tcp),
            mark: 1,
            check_from: THRESHOLD,
        }
    }

    /// Whether this one can set a mark at all.
    #[cfg(test)]
    fn is_active(&self) -> bool {
        self.check_from != usize::MAX
    }

    /// The read is about to wait for the socket, `rest` bytes of a frame
    /// still to come (0 between frames). `timers`: whether the connection
    /// runs a timer.
    ///
    /// # Errors
    /// When a raised mark cannot be put back: the connection would
    /// otherwise wait for bytes that may never come.
    #[inline(always)]
    pub(crate) fn before_wait(
        &mut self,
        rest: usize,
        timers: impl FnOnce() -> bool,
    ) -> io::Result<()> {
        if rest < self.check_from {
            return Ok(());
        }
        self.set_for(rest, timers())
    }

    #[inline(never)]
    fn set_for(&mut self, rest: usize, timers: bool) -> io::Result<()> {
        let want = if rest >= THRESHOLD && !timers {
            rest
        } else {
            1
        };
        if want == self.mark {
            return Ok(());
        }
        match sys::set(self.fd, want) {
            Ok(()) => self.mark = want,
            // A mark never raised costs nothing to leave; one raised for an
            // earlier, longer rest must come down.
            Err(_) if self.mark == 1 => {}
            Err(error) if want == 1 => return Err(error),
            Err(_) => {
                sys::set(self.fd, 1)?;
                self.mark = 1;
            }
        }
        self.check_from = if self.mark == 1 { THRESHOLD } else { 0 };
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod sys {
    use std::io;
    use std::os::fd::{AsRawFd, RawFd};
    use std::sync::OnceLock;
    use tokio::net::TcpStream;

    pub(super) type Fd = RawFd;

    /// Never used to set a mark: `check_from` keeps such a value away.
    pub(super) const NO_FD: Fd = -1;

    pub(super) fn fd(tcp: &TcpStream) -> Fd {
        tcp.as_raw_fd()
    }

    /// Whether this kernel is 5.8 or later (read once).
    pub(super) fn supported() -> bool {
        static SUPPORTED: OnceLock<bool> = OnceLock::new();
        *SUPPORTED.get_or_init(|| {
            std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .is_ok_and(|release| at_least(&release, (5, 8)))
        })
    }

    /// Whether a kernel release ("6.1.0-18-amd64") is `min` or later;
    /// `false` when it cannot be read.
    pub(super) fn at_least(release: &str, min: (u32, u32)) -> bool {
        let mut parts = release.trim().split(['.', '-']);
        let number = |part: Option<&str>| part.and_then(|p| p.parse::<u32>().ok());
        match (number(parts.next()), number(parts.next())) {
            (Some(major), Some(minor)) => (major, minor) >= min,
            _ => false,
        }
    }

    pub(super) fn set(fd: Fd, mark: usize) -> io::Result<()> {
        let value = libc::c_int::try_from(mark).unwrap_or(libc::c_int::MAX);
        #[allow(unsafe_code)]
        // SAFETY: `setsockopt` reads `optlen` bytes at `optval` and
        // nothing else of this process's memory. `optval` points to
        // `value`, a live, aligned `c_int` on this stack frame for the
        // whole call, and `optlen` is exactly its size. A stale or wrong
        // `fd` is answered with an error, not undefined behaviour.
        let result = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVLOWAT,
                std::ptr::from_ref(&value).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if result == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

/// Elsewhere: no stream takes the mark.
#[cfg(not(target_os = "linux"))]
mod sys {
    use std::io;
    use tokio::net::TcpStream;

    pub(super) type Fd = ();

    pub(super) const NO_FD: Fd = ();

    pub(super) fn fd(_: &TcpStream) -> Fd {}

    pub(super) fn supported() -> bool {
        false
    }

    pub(super) fn set(_: Fd, _: usize) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    #[test]
    fn kernel_releases_compare_by_major_and_minor() {
        for (release, expected) in [
            ("6.18.44-fc-v657", true),
            ("5.8.0", true),
            ("5.10.0-28-amd64\n", true),
            ("5.7.19", false),
            ("4.18.0-553.el8_10.x86_64", false),
            ("3.10.0-1160.el7.x86_64", false),
            ("", false),
            ("six.one", false),
        ] {
            assert_eq!(sys::at_least(release, (5, 8)), expected, "{release:?}");
        }
    }

    async fn tcp_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    /// Reads exactly `n` bytes from `socket`, then finds it empty, which
    /// clears tokio's readiness as the drive loop's waits find it.
    async fn read_exactly(socket: &TcpStream, n: usize) {
        let mut buffer = vec![0; n];
        let mut read = 0;
        while read < n {
            match socket.try_read(&mut buffer[read..]) {
                Ok(0) => panic!("closed"),
                Ok(k) => read += k,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    socket.readable().await.unwrap();
                }
                Err(e) => panic!("{e}"),
            }
        }
        let empty = socket.try_read(&mut [0]).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock);
    }

    /// A connection whose receive window has grown with traffic, as a
    /// connection carrying large frames has. A fresh one advertises less
    /// than the rest of a large frame, and the kernel wakes the reader
    /// when the window closes, mark or not (so that nothing can hang).
    async fn warm_tcp_pair() -> (TcpStream, TcpStream) {
        let (mut client, server) = tcp_pair().await;
        let bulk = vec![1; 1 << 20];
        for _ in 0..16 {
            let (written, ()) =
                tokio::join!(client.write_all(&bulk), read_exactly(&server, bulk.len()));
            written.unwrap();
        }
        (client, server)
    }

    /// Whether `socket` becomes readable within `wait`.
    async fn readable_within(socket: &TcpStream, wait: Duration) -> bool {
        let deadline = Some((tokio::time::Instant::now() + wait).into_std());
        crate::net::deadline::until(deadline, socket.readable())
            .await
            .is_some()
    }

    /// Whether `socket` becomes readable: the wait is long, since only a
    /// hang would take it all.
    async fn readable(socket: &TcpStream) -> bool {
        readable_within(socket, Duration::from_secs(5)).await
    }

    /// Whether `socket` stays unreadable for a moment.
    async fn stays_unreadable(socket: &TcpStream) -> bool {
        !readable_within(socket, Duration::from_millis(300)).await
    }

    #[tokio::test]
    async fn only_plain_tcp_takes_the_mark() {
        assert!(sys::supported(), "this kernel is 5.8 or later");
        let (client, server) = tcp_pair().await;
        assert!(LowWater::of(&server).is_active());
        assert!(LowWater::of(&MaybeTlsStream::Plain(client)).is_active());
        assert!(LowWater::of(&ServerStream::Plain(server)).is_active());
        let (duplex, _) = tokio::io::duplex(64);
        let mut none = LowWater::of(&duplex);
        assert!(!none.is_active());
        none.before_wait(usize::MAX - 1, || false).unwrap();
        assert_eq!(none.mark, 1);
        let (client, _server) = tcp_pair().await;
        let prefixed = crate::net::stream::PrefixedStream::new(Default::default(), client);
        assert!(
            !LowWater::of(&prefixed).is_active(),
            "its prefix is not in the socket"
        );
    }

    #[tokio::test]
    async fn the_socket_wakes_at_the_rest_of_the_frame_then_at_one_byte() {
        let (mut client, server) = warm_tcp_pair().await;
        let mut mark = LowWater::of(&server);
        let rest = 3 * THRESHOLD;
        mark.before_wait(rest, || false).unwrap();
        assert_eq!(mark.mark, rest);

        client.write_all(&vec![1; rest - 1]).await.unwrap();
        assert!(
            stays_unreadable(&server).await,
            "woken a byte short of the rest"
        );
        client.write_all(&[1]).await.unwrap();
        assert!(readable(&server).await, "not woken with the rest in");
        read_exactly(&server, rest).await;

        // Between frames: back to the first byte, so a small message wakes.
        mark.before_wait(0, || false).unwrap();
        assert_eq!(mark.mark, 1);
        client.write_all(b"\x81\x80abcd").await.unwrap();
        assert!(readable(&server).await, "a small frame did not wake");
    }

    #[tokio::test]
    async fn the_mark_follows_the_rest_down_and_stays_off_under_timers() {
        let (mut client, server) = warm_tcp_pair().await;
        let mut mark = LowWater::of(&server);
        mark.before_wait(10 * THRESHOLD, || false).unwrap();
        // Part of the frame was read: the mark must come down with it, or
        // the socket waits for bytes the sender will never send.
        mark.before_wait(2 * THRESHOLD, || false).unwrap();
        assert_eq!(mark.mark, 2 * THRESHOLD);
        client.write_all(&vec![1; 2 * THRESHOLD]).await.unwrap();
        assert!(
            readable(&server).await,
            "the mark stayed at the longer rest"
        );

        let (mut client, server) = tcp_pair().await;
        let mut mark = LowWater::of(&server);
        mark.before_wait(10 * THRESHOLD, || false).unwrap();
        // An idle timer must see the bytes as they come.
        mark.before_wait(10 * THRESHOLD, || true).unwrap();
        assert_eq!(mark.mark, 1);
        client.write_all(&[1]).await.unwrap();
        assert!(readable(&server).await, "a running timer left the mark up");

        // Under the threshold nothing is raised at all.
        let (_client, server) = tcp_pair().await;
        let mut mark = LowWater::of(&server);
        mark.before_wait(THRESHOLD - 1, || false).unwrap();
        assert_eq!(mark.mark, 1);
    }
}
