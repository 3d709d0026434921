//! Runs a future that is ready at once: the readers are async over `ByteSource`, but every source
//! here holds its bytes in memory, so no read ever waits and no executor is needed (none that can
//! block exists on a browser thread anyway).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Polls `future` once: its output, or `None` if it would have to wait.
pub fn now_or_never<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_futures_complete_and_waiting_ones_do_not() {
        assert_eq!(now_or_never(async { 7 }), Some(7));
        assert_eq!(now_or_never(std::future::pending::<u8>()), None);
    }
}
