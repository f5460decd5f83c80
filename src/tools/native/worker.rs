//! A model owned by one worker thread, with concurrent calls batched.
//!
//! Some candle models hold `Box<dyn Module>` layers and so are neither `Send` nor `Sync`; they
//! are built on, and never leave, their worker thread. Callers queue inputs on a channel; the
//! worker takes everything queued (up to `max_batch`) and runs it as one batch, so calls that
//! arrive while a batch runs share the next forward pass. A lone call waits for no one.

use crate::diag::{Code, Diagnostic};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

type Reply<O> = Sender<Result<O, Diagnostic>>;

/// The handle callers share; the worker thread lives as long as a handle does.
pub struct BatchWorker<I, O> {
    name: String,
    jobs: Sender<(I, Reply<O>)>,
    stats: Arc<Stats>,
}

/// How many forward passes ran, and the largest batch seen.
#[derive(Default)]
pub struct Stats {
    pub batches: AtomicUsize,
    pub calls: AtomicUsize,
    pub max_batch: AtomicUsize,
}

impl<I: Send + 'static, O: Send + 'static> BatchWorker<I, O> {
    /// Start the worker: `load` builds the model on the worker thread (its error is returned
    /// here); `run` maps a batch of inputs to as many outputs, in order.
    pub fn spawn<M, L, F>(name: &str, max_batch: usize, load: L, run: F) -> Result<Self, Diagnostic>
    where
        L: FnOnce() -> Result<M, Diagnostic> + Send + 'static,
        F: Fn(&M, Vec<I>) -> Result<Vec<O>, Diagnostic> + Send + 'static,
    {
        let (jobs, rx) = channel::<(I, Reply<O>)>();
        let (ready_tx, ready_rx) = channel::<Result<(), Diagnostic>>();
        let stats = Arc::new(Stats::default());
        let st = stats.clone();
        let max_batch = max_batch.max(1);
        std::thread::Builder::new()
            .name(format!("dwim-{name}"))
            .spawn(move || {
                let model = match load() {
                    Ok(m) => {
                        let _ = ready_tx.send(Ok(()));
                        m
                    }
                    Err(d) => {
                        let _ = ready_tx.send(Err(d));
                        return;
                    }
                };
                serve(&model, &rx, max_batch, &run, &st);
            })
            .map_err(|e| Diagnostic::new(Code::E401, format!("cannot start the {name} worker thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(BatchWorker { name: name.to_string(), jobs, stats }),
            Ok(Err(d)) => Err(d),
            Err(_) => Err(Diagnostic::new(Code::E499, format!("the {name} worker stopped while loading"))),
        }
    }

    /// Run one input (possibly batched with other callers' inputs) and wait for its output.
    pub fn call(&self, input: I) -> Result<O, Diagnostic> {
        let stopped = || Diagnostic::new(Code::E499, format!("the {} worker has stopped", self.name));
        let (tx, rx) = channel();
        self.jobs.send((input, tx)).map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())?
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}

fn serve<M, I, O, F>(model: &M, rx: &Receiver<(I, Reply<O>)>, max_batch: usize, run: &F, st: &Stats)
where
    F: Fn(&M, Vec<I>) -> Result<Vec<O>, Diagnostic>,
{
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let n = batch.len();
        st.batches.fetch_add(1, Ordering::Relaxed);
        st.calls.fetch_add(n, Ordering::Relaxed);
        st.max_batch.fetch_max(n, Ordering::Relaxed);
        let (inputs, replies): (Vec<I>, Vec<Reply<O>>) = batch.into_iter().unzip();
        match run(model, inputs) {
            Ok(outs) if outs.len() == n => {
                for (o, r) in outs.into_iter().zip(replies) {
                    let _ = r.send(Ok(o));
                }
            }
            Ok(outs) => {
                let d = Diagnostic::new(Code::E499, format!("batch of {n} gave {} outputs", outs.len()));
                replies.iter().for_each(|r| drop(r.send(Err(d.clone()))));
            }
            Err(d) => replies.iter().for_each(|r| drop(r.send(Err(d.clone())))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn calls_queued_during_a_batch_share_the_next_one() {
        let w = Arc::new(
            BatchWorker::spawn("test", 8, || Ok(()), |_: &(), xs: Vec<u32>| {
                std::thread::sleep(Duration::from_millis(150));
                Ok(xs.iter().map(|x| x * 2).collect())
            })
            .unwrap(),
        );
        let first = { let w = w.clone(); std::thread::spawn(move || w.call(1)) };
        std::thread::sleep(Duration::from_millis(40));
        let rest: Vec<_> = (2..5).map(|i| { let w = w.clone(); std::thread::spawn(move || w.call(i)) }).collect();
        assert_eq!(first.join().unwrap().unwrap(), 2);
        let got: Vec<u32> = rest.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
        assert_eq!(got, vec![4, 6, 8]);
        assert_eq!(w.stats().batches.load(Ordering::Relaxed), 2);
        assert_eq!(w.stats().max_batch.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn load_errors_and_run_errors_reach_the_caller() {
        let e = BatchWorker::<u32, u32>::spawn("bad", 1, || Err::<(), _>(Diagnostic::new(Code::E411, "no weights")), |_, x| Ok(x)).err().unwrap();
        assert_eq!(e.code, Code::E411);
        let w = BatchWorker::spawn("fails", 4, || Ok(()), |_: &(), _: Vec<u32>| Err::<Vec<u32>, _>(Diagnostic::new(Code::E401, "boom"))).unwrap();
        assert_eq!(w.call(1).err().unwrap().code, Code::E401);
    }
}
